#!/usr/bin/env python3
"""Opine's benchmarks: each scenario against the real opined/opine (release build), beside a floor measured on the
same bytes in the same run. Prints the table and, unless --quick, writes it to BENCHMARKS.md. Called by `make bench`
(full sizes) and `make bench-smoke` (tiny sizes, in CI, so the harness cannot rot)."""
import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redflags  # noqa: E402
import scenarios  # noqa: E402
import upload  # noqa: E402

FULL = {"burst_bundles": 1000, "dicom_bytes": 512 * 1024, "study_files": 2048, "study_file_bytes": 512 * 1024,
        "latency_bundles": 200, "webhook_events": 20_000, "cli_small": 10_000, "cli_large": 1_000_000,
        "queue_bundles": 3000, "emergencies": 20, "load_study_files": 3072, "load_study_file_bytes": 1 << 20}
QUICK = {"burst_bundles": 20, "dicom_bytes": 16 * 1024, "study_files": 32, "study_file_bytes": 64 * 1024,
         "latency_bundles": 10, "webhook_events": 200, "cli_small": 100, "cli_large": 1_000,
         "queue_bundles": 60, "emergencies": 2, "load_study_files": 64, "load_study_file_bytes": 256 * 1024}
SCENARIOS = {"burst": scenarios.burst_intake, "study": scenarios.large_study, "ratio": redflags.burst_ratio,
             "redflags": redflags.emergency_under_load, "latency": scenarios.latency,
             "webhooks": scenarios.webhook_throughput, "cli": scenarios.cli_at_scale,
             "upload": upload.throughput}


def machine(work):
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    fs = subprocess.run(["df", "-T", work], stdout=subprocess.PIPE, text=True).stdout.splitlines()[-1].split()[1]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE, text=True).stdout.strip()
    memory = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    return "%s, %d cores, %.0f GiB, %s on %s; %s; commit %s; %s" % (
        cpu, os.cpu_count(), memory / 2**20, fs, work, platform.platform(terse=True), commit,
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))


def table(rows):
    lines = ["| scenario | measure | Opine | floor | ratio | bar | met |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for scenario, measure, value, floor, ratio, bar, met in rows:
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            scenario, measure, value, floor or "—", "%.2f×" % ratio if ratio is not None else "—", bar, "yes" if met else "**no**"))
    return "\n".join(lines)


def merge_rows(previous, rows, description, only):
    """The table with `rows` in place of the rows of the same scenarios, the earlier run's machine line, and a line
    saying which rows this partial run measured, when and where."""
    lines = previous.splitlines()
    kept = [line for line in lines if line.startswith("| ") and not line.startswith("| scenario") and not line.startswith("| ---")]
    mine = {row[0] for row in rows}
    kept = [line for line in kept if line.split("|")[1].strip() not in mine]
    earlier = next((line[len("Machine: "):].rstrip(".") for line in lines if line.startswith("Machine: ")), description)
    header = table([]).splitlines()
    merged = "\n".join(header + kept + table(rows).splitlines()[2:])
    previous_notes = [line for line in lines if line.startswith("Partial run (") and only not in line]
    note = "\n".join(previous_notes + ["Partial run (%s): %s." % (only, description)])
    return merged, earlier, "\n" + note + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True, help="folder holding release builds of opined, opine and opine-upload")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repetition, nothing written")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated: " + ", ".join(SCENARIOS))
    parser.add_argument("--out", default="BENCHMARKS.md")
    args = parser.parse_args()

    size = QUICK if args.quick else FULL
    repetitions = 1 if args.quick else args.repetitions
    work = tempfile.mkdtemp(prefix="opine-bench-", dir=os.environ.get("OPINE_BENCH_DIR", "/var/tmp"))
    rows, started = [], time.time()
    try:
        description = machine(work)
        for name in args.only.split(","):
            began = time.time()
            rows += SCENARIOS[name](os.path.abspath(args.bin), work, size, repetitions)
            print("%s done in %.0f s" % (name, time.time() - began), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = table(rows)
    print(description)
    print(result)
    print("%d of %d bars met; %.0f s in all" % (sum(1 for row in rows if row[6]), len(rows), time.time() - started))
    if not args.quick:
        # What people wrote under "## Findings" (profiles, fixes, what is left) survives a new run.
        findings = ""
        if os.path.exists(args.out):
            previous = open(args.out).read()
            if "\n## Findings" in previous:
                findings = previous[previous.index("\n## Findings"):]
        partial = ""
        if set(args.only.split(",")) != set(SCENARIOS) and os.path.exists(args.out):
            # A partial run (`make bench BENCH_ONLY=…`) replaces only its own rows; the others stay as measured.
            result, description, partial = merge_rows(open(args.out).read(), rows, description, args.only)
        with open(args.out, "w") as f:
            f.write("# Benchmarks\n\nWritten by `make bench` (scripts/bench/); medians of %d repetitions unless the "
                    "measure says otherwise. Floors are measured in the same run on the same bytes.\n\n"
                    "Machine: %s.\n\n%s\n%s%s" % (repetitions, description, result, partial, findings))


if __name__ == "__main__":
    main()
