#!/usr/bin/env python3
"""Runs Opine's libFuzzer targets (manifest parser, path rules, zip reader, DICOM header reader), seeded with every
upload the end-to-end tests generate and every DICOM file the tests write, and reports executions and crashes per target. Called by `make fuzz`.

A crash leaves its input in OUT/crashes/; copy it to Tests/Fuzz/regressions/TARGET/ and the unit suite replays it
from then on (FuzzRegressionTests)."""
import argparse
import json
import os
import re
import struct
import subprocess
import sys
import zipfile

TARGETS = ["manifest", "path", "zip", "dicom-header"]


def dicom_element(tag, vr, value, big=False, implicit=False):
    """One element for the built-in DICOM seeds (short-form VRs and SQ only)."""
    order = ">" if big else "<"
    head = struct.pack(order + "HH", tag >> 16, tag & 0xFFFF)
    length = 0xFFFFFFFF if value is None else len(value)
    if implicit:
        head += struct.pack("<I", length)
    elif vr in ("OB", "OW", "SQ", "UN", "UT"):
        head += vr.encode() + b"\0\0" + struct.pack(order + "I", length)
    else:
        head += vr.encode() + struct.pack(order + "H", length)
    return head + (value or b"")


def dicom_seeds():
    """A few small files in each transfer syntax, so the target starts from valid structure even without exports."""
    def file(uid, body):
        uid = uid.encode() + (b"\0" if len(uid) % 2 else b"")
        meta = dicom_element(0x00020010, "UI", uid)
        return b"\0" * 128 + b"DICM" + dicom_element(0x00020000, "UL", struct.pack("<I", len(meta))) + meta + body

    seeds = []
    for uid, big, implicit in (("1.2.840.10008.1.2.1", False, False), ("1.2.840.10008.1.2", False, True),
                               ("1.2.840.10008.1.2.2", True, False)):
        e = lambda tag, vr, value: dicom_element(tag, vr, value, big, implicit)
        item = struct.pack((">" if big else "<") + "HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
        item_end = struct.pack((">" if big else "<") + "HHI", 0xFFFE, 0xE00D, 0)
        seq_end = struct.pack((">" if big else "<") + "HHI", 0xFFFE, 0xE0DD, 0)
        body = (e(0x00080005, "CS", b"ISO_IR 192") + e(0x00080008, "CS", b"ORIGINAL\\PRIMARY")
                + e(0x00081115, "SQ", None) + item + e(0x00100010, "PN", b"X^Y ") + item_end + seq_end
                + e(0x00100010, "PN", "M\u00fcller^Zo\u00eb".encode()) + e(0x00200037, "DS", b"0\\1\\0\\0\\0\\-1")
                + e(0x7FE00010, "OW", b"\0\0\0\0"))
        seeds.append(file(uid, body))
    seeds.append(file("1.2.840.10008.1.2.1.99", b"\x78\x9c\x03\x00"))
    return seeds


def is_dicom(data):
    return len(data) >= 132 and data[128:132] == b"DICM"


def seeds_from(export, samples, out):
    """Splits the exported uploads into one seed folder per target."""
    folders = {t: os.path.join(out, "seeds", t) for t in TARGETS}
    for folder in folders.values():
        os.makedirs(folder, exist_ok=True)
    counter = 0

    def put(target, data):
        nonlocal counter
        counter += 1
        with open(os.path.join(folders[target], "seed-%05d" % counter), "wb") as f:
            f.write(data)

    def from_manifest(data):
        put("manifest", data)
        try:
            for entry in json.loads(data).get("files", []):
                if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                    put("path", entry["path"].encode("utf-8", "surrogatepass"))
        except (ValueError, AttributeError, UnicodeError, RecursionError):
            pass

    roots = [os.path.join(export, name) for name in sorted(os.listdir(export))] if os.path.isdir(export) else []
    roots += [os.path.join(samples, name) for name in sorted(os.listdir(samples))]
    for root in roots:
        if os.path.isdir(root) and not os.path.islink(root):
            for directory, _, files in os.walk(root):
                for name in files:
                    path = os.path.join(directory, name)
                    put("path", os.fsencode(os.path.relpath(path, root)))
                    if os.path.isfile(path) and not os.path.islink(path):
                        with open(path, "rb") as f:
                            head = f.read(1 << 20)
                        if is_dicom(head):
                            put("dicom-header", head)
                    if name == "manifest.json" and os.path.isfile(path) and not os.path.islink(path):
                        with open(path, "rb") as f:
                            from_manifest(f.read(1 << 20))
        elif os.path.isfile(root) and not os.path.islink(root):
            with open(root, "rb") as f:
                data = f.read()
            if is_dicom(data):
                put("dicom-header", data[:1 << 20])
            if root.endswith(".zip"):
                put("zip", data)
                try:
                    with zipfile.ZipFile(root) as archive:
                        for info in archive.infolist():
                            put("path", info.filename.encode("utf-8", "surrogatepass"))
                            if info.filename == "manifest.json" and info.file_size < (1 << 20):
                                from_manifest(archive.read(info))
                            elif info.file_size < (64 << 20):
                                with archive.open(info) as entry:
                                    head = entry.read(1 << 20)
                                if is_dicom(head):
                                    put("dicom-header", head)
                except Exception:  # hostile archives are meant to break readers
                    pass
    for seed in dicom_seeds():
        put("dicom-header", seed)
    return {t: len(os.listdir(folders[t])) for t in TARGETS}


def run(binary, target, runs, out, seconds):
    corpus = os.path.join(out, "corpus", target)
    crashes = os.path.join(out, "crashes")
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(crashes, exist_ok=True)
    command = [binary, "-runs=%d" % runs, "-max_len=65536", "-rss_limit_mb=2048", "-timeout=10",
               "-max_total_time=%d" % seconds, "-print_final_stats=1",
               "-artifact_prefix=%s/%s-" % (crashes, target), corpus, os.path.join(out, "seeds", target)]
    result = subprocess.run(command, env=dict(os.environ, OPINE_FUZZ_TARGET=target),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    log = result.stdout
    with open(os.path.join(out, "fuzz-%s.log" % target), "w") as f:
        f.write(log)
    executions = re.findall(r"stat::number_of_executed_units:\s*(\d+)", log)
    seconds_taken = re.findall(r"Done (\d+) runs in (\d+) second", log)
    coverage = re.findall(r"cov: (\d+)", log)
    return {
        "target": target,
        "executions": int(executions[-1]) if executions else 0,
        "seconds": int(seconds_taken[-1][1]) if seconds_taken else None,
        "coverage": int(coverage[-1]) if coverage else None,
        "crashed": result.returncode != 0,
        "exit": result.returncode,
        "tail": "\n".join(log.splitlines()[-25:]) if result.returncode != 0 else "",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True, help="opine-fuzz built with -sanitize=fuzzer")
    parser.add_argument("--export", required=True, help="uploads exported by the tests (OPINE_EXPORT_CORPUS)")
    parser.add_argument("--samples", default="Config/samples")
    parser.add_argument("--out", required=True)
    parser.add_argument("--runs", type=int, default=1_000_000, help="executions per target")
    parser.add_argument("--seconds", type=int, default=900, help="time limit per target")
    parser.add_argument("--targets", default=",".join(TARGETS))
    args = parser.parse_args()

    counts = seeds_from(args.export, args.samples, args.out)
    print("seeds: " + ", ".join("%s %d" % (t, counts[t]) for t in TARGETS))
    failed = False
    for target in args.targets.split(","):
        result = run(args.bin, target, args.runs, args.out, args.seconds)
        print("%-8s %9d executions in %s s, coverage %s: %s" % (
            target, result["executions"], result["seconds"], result["coverage"],
            "CRASH (exit %d)" % result["exit"] if result["crashed"] else "no crash"))
        if result["crashed"]:
            failed = True
            print(result["tail"])
    if failed:
        print("A crash input is in %s/crashes/; add it to Tests/Fuzz/regressions/TARGET/ with its fix." % args.out)
        sys.exit(1)


if __name__ == "__main__":
    main()
