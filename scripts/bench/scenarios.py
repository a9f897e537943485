"""The benchmark scenarios. Each prepares its own data under `work`, runs the real opined/opine, measures its floor on
the same bytes in the same run, and returns rows for the table: (scenario, measure, value, floor, ratio, bar, met)."""
import os
import shutil
import time

import lab
import redflags


def fresh(root):
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    return root


def burst_intake(binaries, work, size, repetitions):
    """1,000 typical bundles renamed into the drop directory at once; also the daemon's memory, idle and busy."""
    source = fresh(os.path.join(work, "burst-source"))
    for index in range(size["burst_bundles"]):
        lab.typical_bundle(os.path.join(source, "b%05d" % index), index, dicom_files=4, dicom_bytes=size["dicom_bytes"])
    total = lab.tree_bytes(source)
    floors, runs, idle, busy = [], [], [], []
    for repetition in range(repetitions):
        # Both measured from the same state: the last run's files gone, the data staged, the floor's copy kept
        # until Opine has run too (see lab.floor_copy_sync_hash).
        daemon = lab.Daemon(binaries, fresh(os.path.join(work, "burst-run")))
        daemon.start()
        time.sleep(1)
        idle.append(daemon.memory_kib("VmRSS"))
        staged = os.path.join(daemon.spool, "incoming")
        shutil.copytree(source, staged)
        names = sorted(os.listdir(staged))
        floors.append(lab.floor_copy_sync_hash(source, work, keep=True)["total"])
        started = time.time()
        for name in names:
            os.rename(os.path.join(staged, name), os.path.join(daemon.drop, name))
        daemon.wait_until(lambda: daemon.stored_or_refused(len(names)), 900, "every bundle is a case", 0.05)
        last = lab.parse_time(daemon.query("SELECT max(received_at) FROM cases")[0][0])
        runs.append(last - started)
        busy.append(daemon.memory_kib("VmHWM"))
        daemon.stop()
        lab.remove_floor_copy(work)
    count = size["burst_bundles"]
    seconds, floor = lab.median(runs), lab.median(floors)
    redflags.MEASURED["burst"] = (seconds, total)
    return [
        ("1. burst intake", "%d bundles, %.0f MB: time to last case" % (count, total / 1e6), "%.2f s (%.0f bundles/s, %.0f MB/s)"
         % (seconds, count / seconds, total / 1e6 / seconds), "%.2f s" % floor, seconds / floor, "≤ 1.5× floor", seconds <= 1.5 * floor),
        ("6. footprint", "opined RSS, idle", "%.1f MiB" % (lab.median(idle) / 1024), "", None, "≤ 30 MiB", lab.median(idle) <= 30 * 1024),
        ("6. footprint", "opined peak RSS during burst intake", "%.1f MiB" % (lab.median(busy) / 1024), "", None, "≤ 80 MiB",
         lab.median(busy) <= 80 * 1024),
    ]


def large_study(binaries, work, size, repetitions):
    """One bundle holding a 1 GiB DICOM series of 2,048 files."""
    source = fresh(os.path.join(work, "study-source"))
    folder = os.path.join(source, "study")
    files = [("MRI/IM%06d" % n, lab.dicom(size["study_file_bytes"], b"study-%d" % n), "imaging", "application/dicom")
             for n in range(size["study_files"])]
    lab.write_bundle(folder, "bench-study", files)
    del files
    total = lab.tree_bytes(source)
    floors, runs, peaks = [], [], []
    for repetition in range(repetitions):
        # The same order as the burst: both start from the same state (see lab.floor_copy_sync_hash).
        daemon = lab.Daemon(binaries, fresh(os.path.join(work, "study-run")))
        daemon.start()
        staged = os.path.join(daemon.spool, "incoming")
        shutil.copytree(source, staged)
        floors.append(lab.floor_copy_sync_hash(source, work, keep=True)["total"])
        started = time.time()
        os.rename(os.path.join(staged, "study"), os.path.join(daemon.drop, "study"))
        daemon.wait_until(lambda: daemon.stored_or_refused(1), 900, "the study is a case", 0.02)
        runs.append(lab.parse_time(daemon.query("SELECT max(received_at) FROM cases")[0][0]) - started)
        peaks.append(daemon.memory_kib("VmHWM"))
        daemon.stop()
        lab.remove_floor_copy(work)
    seconds, floor, peak = lab.median(runs), lab.median(floors), lab.median(peaks)
    redflags.MEASURED["study"] = (seconds, total)
    return [
        ("2. large study", "%d files, %.2f GiB: time to committed case" % (size["study_files"], total / 2**30),
         "%.2f s (%.0f MB/s)" % (seconds, total / 1e6 / seconds), "%.2f s" % floor, seconds / floor, "≤ 1.0× floor", seconds <= floor),
        ("2. large study", "opined peak RSS", "%.1f MiB" % (peak / 1024), "", None, "≤ 64 MiB", peak <= 64 * 1024),
    ]


def latency(binaries, work, size, repetitions):
    """Single bundles renamed in one at a time, 10 a second: rename → visible in `opine show`, → webhook arrived."""
    receiver = lab.Receiver()
    source = fresh(os.path.join(work, "latency-source"))
    daemon = lab.Daemon(binaries, fresh(os.path.join(work, "latency-run")), endpoint_url=receiver.url)
    daemon.start()
    staged = os.path.join(daemon.spool, "incoming")
    os.makedirs(staged)
    count = size["latency_bundles"]
    for index in range(count):
        lab.typical_bundle(os.path.join(staged, "l%04d" % index), index, dicom_files=1, dicom_bytes=64 * 1024, pdf_bytes=20_000)
    day = time.strftime("%Y%m%d", time.gmtime())
    visible, announced = [], []
    for index in range(count):
        case_id = "C-%s-%04d" % (day, index + 1)
        started = time.time()
        os.rename(os.path.join(staged, "l%04d" % index), os.path.join(daemon.drop, "l%04d" % index))
        while daemon.opine("show", case_id, "--json")[0].returncode != 0:
            pass
        visible.append(time.time() - started)
        daemon.wait_until(lambda: any(b'"case.received"' in body and case_id.encode() in body for _, body in receiver.arrivals[-3:]),
                       10, "the webhook for %s arrived" % case_id, 0.001)
        arrived = next(at for at, body in reversed(receiver.arrivals) if case_id.encode() in body)
        announced.append(arrived - started)
        time.sleep(max(0, 0.1 - (time.time() - started)))
    daemon.stop()
    receiver.close()
    p50v, p99v = lab.percentile(visible, 50) * 1000, lab.percentile(visible, 99) * 1000
    p50a, p99a = lab.percentile(announced, 50) * 1000, lab.percentile(announced, 99) * 1000
    return [
        ("3. latency", "rename → visible in opine show (%d bundles, 10/s)" % count, "p50 %.0f ms, p99 %.0f ms" % (p50v, p99v),
         "", None, "p99 ≤ 100 ms", p99v <= 100),
        ("3. latency", "rename → case.received webhook arrived", "p50 %.0f ms, p99 %.0f ms" % (p50a, p99a), "", None,
         "p99 ≤ 200 ms", p99a <= 200),
    ]


def seeded_daemon(binaries, root, cases, events_per_case=0, outbox=False, endpoint_url=None):
    """A store with `cases` cases (and their events and case.received notifications) bulk-inserted on the real schema.

    The bulk path (lab.seed_store) copies one case that the real opined stored — every column as intake wrote it —
    under new ids, with a mix of states and priorities; events copy that case's intake event (their audit hashes are
    left empty: no benchmarked command reads them)."""
    daemon = lab.Daemon(binaries, fresh(root))
    daemon.start()
    lab.typical_bundle(os.path.join(daemon.spool, "template"), 0, dicom_files=1, dicom_bytes=16 * 1024, pdf_bytes=10_000)
    os.rename(os.path.join(daemon.spool, "template"), os.path.join(daemon.drop, "template"))
    daemon.wait_until(lambda: daemon.query("SELECT count(*) FROM cases")[0][0] == 1, 60, "the template case is stored")
    daemon.stop()
    lab.seed_store(daemon.database, cases, events_per_case, outbox)
    if endpoint_url:
        daemon = lab.Daemon(binaries, root, endpoint_url=endpoint_url)
    return daemon


def webhook_throughput(binaries, work, size, repetitions):
    """Queued case.received events delivered to a fast loopback receiver, beside one keep-alive curl process."""
    count = size["webhook_events"]
    rates, floors = [], []
    for repetition in range(repetitions):
        receiver = lab.Receiver()
        daemon = seeded_daemon(binaries, os.path.join(work, "webhooks-run"), count, outbox=True, endpoint_url=receiver.url)
        daemon.start()
        daemon.wait_until(lambda: receiver.count() >= count, 900, "every event arrived", 0.05)
        times = sorted(at for at, _ in receiver.arrivals)
        rates.append(count / (times[-1] - times[0]))
        daemon.stop()
        floors.append(lab.curl_floor(receiver, count, os.path.join(work, "webhooks-run")))
        receiver.close()
    rate, floor = lab.median(rates), lab.median(floors)
    return [("4. webhook throughput", "%d queued events to a loopback receiver" % count, "%.0f deliveries/s" % rate,
             "%.0f POSTs/s (one curl, keep-alive)" % floor, floor / rate, "≥ 2,000/s and ≥ floor", rate >= 2000 and rate >= floor)]


def cli_at_scale(binaries, work, size, repetitions):
    """opine's read commands on a small store and on one with a million cases and five million events."""
    commands = [("list --limit 50", ["list", "--limit", "50"]),
                ("list --state triaged --priority urgent", ["list", "--state", "triaged", "--priority", "urgent"]),
                ("show", ["show", "@"]), ("stats", ["stats"]), ("history", ["history", "@"]),
                ("find a full name (any order, no accents)", ["find", "angstrom zoe"]),
                ("find an e-mail", ["find", "patient4242@example.org"]), ("find a phone's digits", ["find", "14050004242"]),
                ("find a case id prefix (every case)", ["find", "c-2020"])]
    medians = {}
    for cases in (size["cli_small"], size["cli_large"]):
        daemon = seeded_daemon(binaries, os.path.join(work, "cli-%d" % cases), cases, events_per_case=5)
        some_case = daemon.query("SELECT id FROM cases ORDER BY seq LIMIT 1 OFFSET ?", (cases // 2,))[0][0]
        for label, arguments in commands:
            arguments = [some_case if a == "@" else a for a in arguments]
            times = []
            for _ in range(max(5, repetitions)):
                result, seconds = daemon.opine(*arguments)
                if result.returncode != 0:
                    raise RuntimeError("opine %s failed: %s" % (" ".join(arguments), result.stderr))
                times.append(seconds)
            medians[(label, cases)] = lab.median(times)
        shutil.rmtree(daemon.root, ignore_errors=True)
    rows = []
    small, large = size["cli_small"], size["cli_large"]
    for label, _ in commands:
        at_large, at_small = medians[(label, large)], medians[(label, small)]
        growth = at_large / at_small
        rows.append(("5. CLI at scale", "opine %s, %s cases" % (label, format(large, ",")), "%.0f ms" % (at_large * 1000),
                     "%.0f ms at %s cases" % (at_small * 1000, format(small, ",")), growth, "≤ 50 ms, growth ≤ 2×",
                     at_large <= 0.05 and growth <= 2))
    return rows
