"""Red flags under load: how long an emergency takes to become a case while intake is busy (a deep queue of routine
uploads; a multi-gigabyte study being copied), and what a burst of small bundles costs per byte beside one study.
Run by bench.py like the other scenarios; the numbers go to BENCHMARKS.md."""
import os
import shutil
import time

import lab

# What the burst and study scenarios measured in this run, for the burst-versus-study ratio.
MEASURED = {}


def fresh(root):
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    return root


def emergencies(folder, count, tag):
    """`count` small emergency bundles, every other one a zip; returns their upload names."""
    names = []
    for index in range(count):
        name = "%s-%02d" % (tag, index)
        path = os.path.join(folder, name)
        lab.typical_bundle(path, 900_000 + index, pdf_bytes=20_000, dicom_files=1, dicom_bytes=64 * 1024,
                           symptoms=("sciatica", "bowel_bladder_dysfunction"), submission="bench-%s" % name)
        if index % 2:
            lab.zip_bundle(path, path + ".zip")
            name += ".zip"
        names.append(name)
    return names


def latencies(daemon, dropped, receiver=None):
    """Seconds from each emergency's rename to its case's commit (`received_at`) and, with a receiver, to the arrival
    of its `case.emergency` webhook."""
    stored, announced = [], []
    for name, at in dropped:
        submission = "bench-" + name[:-4] if name.endswith(".zip") else "bench-" + name
        case_id, received = daemon.query("SELECT id, received_at FROM cases WHERE submission_id = ?", (submission,))[0]
        stored.append(lab.parse_time(received) - at)
        if receiver:
            marker = ('"case_id":"%s"' % case_id).encode()
            lab.wait_until(lambda: any(b'"case.emergency"' in body and marker in body for _, body in receiver.arrivals), 60,
                           "the case.emergency webhook of %s arrived" % case_id)
            announced.append(min(t for t, body in receiver.arrivals if b'"case.emergency"' in body and marker in body) - at)
    return stored, announced


def behind_queue(binaries, work, size):
    """A deep queue of routine uploads renamed in at once; emergencies renamed in one by one while it drains. Every
    case is announced to a loopback receiver, so each emergency's webhook competes with the routine backlog."""
    receiver = lab.Receiver()
    daemon = lab.Daemon(binaries, fresh(os.path.join(work, "redflag-queue")), endpoint_url=receiver.url)
    daemon.start()
    staged = os.path.join(daemon.spool, "incoming")
    os.makedirs(staged)
    count, urgent = size["queue_bundles"], size["emergencies"]
    for index in range(count):
        lab.typical_bundle(os.path.join(staged, "r%05d" % index), index, pdf_bytes=10_000, dicom_files=1, dicom_bytes=16 * 1024)
    names = emergencies(staged, urgent, "eq")
    for index in range(count):
        os.rename(os.path.join(staged, "r%05d" % index), os.path.join(daemon.drop, "r%05d" % index))
    dropped, queued = [], []
    for index, name in enumerate(names):
        # Spread over the first two thirds of the queue, so each arrives with hundreds still waiting.
        target = (index + 1) * count * 2 // (3 * (urgent + 1))
        daemon.wait_until(lambda: daemon.query("SELECT count(*) FROM cases")[0][0] >= target, 600, "the queue drains", 0.005)
        queued.append(len([n for n in os.listdir(daemon.drop) if n.startswith("r")]))
        dropped.append((name, time.time()))
        os.rename(os.path.join(staged, name), os.path.join(daemon.drop, name))
    daemon.wait_until(lambda: daemon.stored_or_refused(count + urgent), 900, "every upload is a case", 0.05)
    stored, announced = latencies(daemon, dropped, receiver)
    daemon.stop()
    receiver.close()
    return stored, announced, min(queued)


def beside_study(binaries, work, size):
    """A multi-gigabyte study renamed in; emergencies renamed in every 150 ms while it is being copied."""
    daemon = lab.Daemon(binaries, fresh(os.path.join(work, "redflag-study")))
    daemon.start()
    staged = os.path.join(daemon.spool, "incoming")
    files = [("MRI/IM%06d" % n, lab.dicom(size["load_study_file_bytes"], b"load-%d" % n), "imaging", "application/dicom")
             for n in range(size["load_study_files"])]
    lab.write_bundle(os.path.join(staged, "study"), "bench-load-study", files)
    del files
    names = emergencies(staged, size["emergencies"], "es")
    os.rename(os.path.join(staged, "study"), os.path.join(daemon.drop, "study"))
    staging = os.path.join(daemon.state, "staging")
    daemon.wait_until(lambda: os.path.isdir(staging) and os.listdir(staging), 60, "the study is being copied", 0.002)
    dropped, during = [], 0
    for name in names:
        if not daemon.query("SELECT count(*) FROM cases WHERE submission_id = 'bench-load-study'")[0][0]:
            during += 1
        dropped.append((name, time.time()))
        os.rename(os.path.join(staged, name), os.path.join(daemon.drop, name))
        time.sleep(0.15)
    daemon.wait_until(lambda: daemon.stored_or_refused(1 + len(names)), 900, "every upload is a case", 0.05)
    study_at = lab.parse_time(daemon.query("SELECT received_at FROM cases WHERE submission_id = 'bench-load-study'")[0][0])
    daemon.stop()
    measured, _ = latencies(daemon, dropped)
    before_study = sum(1 for (name, at), seconds in zip(dropped, measured) if at + seconds < study_at)
    return measured, during, before_study


def emergency_under_load(binaries, work, size, repetitions):
    """Emergencies behind a deep routine queue and beside a large study: rename → case, p99 against 1 s."""
    queue, announced, least_queued = behind_queue(binaries, work, size)
    study, during, before_study = beside_study(binaries, work, size)
    rows = []
    for label, values, note in (
            ("behind %s queued routine uploads (%d emergencies, ≥ %d still queued at each)"
             % (format(size["queue_bundles"], ","), len(queue), least_queued), queue, ""),
            ("case.emergency webhook arrived, behind the same queue and its case.received backlog", announced, ""),
            ("beside a %.1f GiB study being copied (%d emergencies, %d dropped mid-copy, %d cases before the study's)"
             % (size["load_study_files"] * size["load_study_file_bytes"] / 2**30, len(study), during, before_study), study, "")):
        p50, p99 = lab.percentile(values, 50), lab.percentile(values, 99)
        rows.append(("7. emergency under load", ("rename → " if label.startswith("case.") else "rename → case ") + label, "p50 %.0f ms, p99 %.0f ms%s" % (p50 * 1000, p99 * 1000, note),
                     "", None, "p99 ≤ 1 s", p99 <= 1.0))
    return rows


def burst_ratio(binaries, work, size, repetitions):
    """A burst of small bundles against one study, per byte, from the burst and study scenarios of this run."""
    if "burst" not in MEASURED or "study" not in MEASURED:
        raise RuntimeError("the ratio needs the burst and study scenarios in the same run (--only burst,study,ratio)")
    (burst, burst_bytes), (study, study_bytes) = MEASURED["burst"], MEASURED["study"]
    ratio = (burst / burst_bytes) / (study / study_bytes)
    return [("8. burst vs study", "time per byte: %.0f MB/s as a burst, %.0f MB/s as one study"
             % (burst_bytes / 1e6 / burst, study_bytes / 1e6 / study), "%.2f×" % ratio, "one study", ratio, "≤ 1.3×", ratio <= 1.3)]
