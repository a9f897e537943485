"""The bench's workbench: bundles written like an upload service writes them, the real opined started and watched,
a fast loopback webhook receiver, and the physical floors (cp + sync, openssl's SHA-256) measured on the same bytes."""
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The DICOM file meta header Opine requires: group length 28, then the transfer syntax.
DICOM_META = bytes.fromhex("02000000554c04001c000000" "0200100055491400") + b"1.2.840.10008.1.2.1\0"
FILLER = os.urandom(1 << 20)


def pdf(size, tag):
    head = b"%PDF-1.4\n% " + tag + b"\n"
    tail = b"\n%%EOF\n"
    return head + FILLER[: size - len(head) - len(tail)] + tail


def dicom(size, tag):
    """A DICOM file of exactly `size` bytes with a readable header (a sagittal lumbar MR image of Jane Doe) and
    random pixel data; `tag` goes into the series description, so files differ."""
    head = b"\0" * 128 + b"DICM" + DICOM_META + dicom_dataset(tag)
    pixels = size - len(head) - 12
    even = pixels - pixels % 2  # an odd remainder is one byte after the pixel data, which no reader reaches
    body = (FILLER * (size // len(FILLER) + 1))[:pixels]
    return head + pixel_data(even) + body


def dicom_dataset(description, name=b"DOE^JANE", birth=b"19680402"):
    """A minimal data set in explicit VR little endian (what the header reader and the checks read), ending with the
    Pixel Data element's header; its value (the file's remaining bytes) follows."""
    def element(group, number, vr, value):
        value = value + (b"\0" if vr == b"UI" else b" ") * (len(value) % 2)
        return group.to_bytes(2, "little") + number.to_bytes(2, "little") + vr + len(value).to_bytes(2, "little") + value
    return (element(0x0008, 0x0008, b"CS", b"ORIGINAL\\PRIMARY") + element(0x0008, 0x0060, b"CS", b"MR")
            + element(0x0008, 0x1030, b"LO", b"MR LUMBAR SPINE") + element(0x0008, 0x103E, b"LO", description[:60])
            + element(0x0010, 0x0010, b"PN", name) + element(0x0010, 0x0030, b"DA", birth)
            + element(0x0018, 0x0015, b"CS", b"LSPINE") + element(0x0020, 0x000D, b"UI", b"2.25.1")
            + element(0x0020, 0x000E, b"UI", b"2.25.1.1") + element(0x0020, 0x0037, b"DS", b"0\\1\\0\\0\\0\\-1"))


def pixel_data(length):
    """(7FE0,0010) OB with a 4-byte length: what the header reader stops at."""
    return bytes.fromhex("e07f1000" "4f420000") + length.to_bytes(4, "little")


def write_bundle(folder, submission, files, symptoms=("sciatica",)):
    """files: [(path, bytes, kind, media_type)]; writes them and a manifest listing their sizes and SHA-256."""
    listed = []
    for path, data, kind, media in files:
        target = os.path.join(folder, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(data)
        listed.append({"path": path, "kind": kind, "media_type": media, "size": len(data),
                       "sha256": hashlib.sha256(data).hexdigest()})
    manifest = {
        "version": 1, "submission_id": submission, "submitted_at": "2026-11-26T09:30:00Z",
        "patient": {"name": "Bench Patient", "date_of_birth": "1970-01-01", "email": "bench@example.org"},
        "consent": {"hipaa_authorization": True, "signed_at": "2026-11-26T09:29:00Z"},
        "request": {"regions": ["lumbar"], "question": "Benchmark bundle.", "symptoms": list(symptoms)},
        "files": listed,
    }
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f)


def typical_bundle(folder, index, pdf_bytes=200_000, dicom_files=4, dicom_bytes=512 * 1024, symptoms=("sciatica",),
                   submission=None):
    tag = b"bench-%08d" % index
    files = [("report.pdf", pdf(pdf_bytes, tag), "radiology_report", "application/pdf")]
    files += [("MRI/IM%06d" % n, dicom(dicom_bytes, tag + b"-%d" % n), "imaging", "application/dicom")
              for n in range(dicom_files)]
    write_bundle(folder, submission or "bench-%s-%d" % (os.path.basename(os.path.dirname(folder)), index), files, symptoms)


def zip_bundle(folder, path):
    """The directory bundle at `folder` as a zip at `path` (stored, manifest first), as an upload page would send it."""
    import zipfile
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.write(os.path.join(folder, "manifest.json"), "manifest.json")
        for root, _, names in os.walk(folder):
            for name in sorted(names):
                full = os.path.join(root, name)
                relative = os.path.relpath(full, folder)
                if relative != "manifest.json":
                    archive.write(full, relative)
    shutil.rmtree(folder)


def tree_bytes(root):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(root) for f in files)


def floor_copy_sync_hash(source, scratch, keep=False, name="floor-copy"):
    """The physical floor: copy the bytes (cp -r) and make them durable (sync), then hash them with openssl.

    With `keep`, the copy stays until `remove_floor_copy`: on an ext4 without a journal (this machine's), creating a
    file skips inodes freed in the last minutes, one by one, so deleting 2,048 files just before Opine runs would
    slow Opine's file creation and not the floor's. Scenarios keep the copy until both have run."""
    target = os.path.join(scratch, name)
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run(["sync"], check=True)
    started = time.perf_counter()
    subprocess.run(["cp", "-r", source, target], check=True)
    subprocess.run(["sync"], check=True)
    copied = time.perf_counter()
    files = [os.path.join(d, f) for d, _, names in os.walk(target) for f in names]
    for chunk in range(0, len(files), 2000):
        subprocess.run(["openssl", "dgst", "-sha256"] + files[chunk:chunk + 2000], check=True, stdout=subprocess.DEVNULL)
    hashed = time.perf_counter()
    if not keep:
        shutil.rmtree(target)
    return {"copy_sync": copied - started, "hash": hashed - copied, "total": hashed - started}


def remove_floor_copy(scratch, name="floor-copy"):
    shutil.rmtree(os.path.join(scratch, name), ignore_errors=True)


class Daemon:
    """The real opined on a private spool and state directory."""

    def __init__(self, binaries, root, endpoint_url=None, extra=""):
        self.binaries, self.root = binaries, root
        self.spool, self.state = os.path.join(root, "spool"), os.path.join(root, "state")
        self.config = os.path.join(root, "opine.toml")
        self.log_path = os.path.join(root, "opined.log")
        endpoint = ""
        if endpoint_url:
            endpoint = ('[endpoints.bench]\nurl = "%s"\nallow_http = true\nsecret_env = "OPINE_BENCH_SECRET"\n'
                        % endpoint_url)
        with open(self.config, "w") as f:
            f.write('[paths]\nspool = "%s"\nstate = "%s"\n%s\n%s'
                    % (self.spool, self.state, extra, endpoint))
        self.env = dict(os.environ, OPINE_CONFIG=self.config,
                        OPINE_BENCH_SECRET="whsec_" + "YmVuY2htYXJrIHNlY3JldCBmb3Igb3BpbmU=")
        self.process = None

    @property
    def drop(self):
        return os.path.join(self.spool, "drop")

    @property
    def database(self):
        return os.path.join(self.state, "opine.sqlite3")

    def start(self):
        log = open(self.log_path, "a")
        command = [os.path.join(self.binaries, "opined")]
        profiles = os.environ.get("OPINE_BENCH_PROFILE")
        if profiles:
            # `make bench-profile`: every opined runs under perf, one call-graph profile per start.
            os.makedirs(profiles, exist_ok=True)
            output = os.path.join(profiles, "opined-%s-%d.perf" % (os.path.basename(self.root), int(time.time() * 1000)))
            command = ["perf", "record", "-q", "-F", "999", "-g", "-o", output, "--"] + command
        self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)
        wait_until(lambda: self.ready_count() > 0 or self.process.poll() is not None, 60, "opined is ready")
        if self.process.poll() is not None:
            raise RuntimeError("opined exited: " + open(self.log_path).read()[-2000:])

    def wait_until(self, condition, seconds, what, poll=0.005):
        """lab.wait_until, failing at once with the log's end if opined dies meanwhile."""
        def check():
            if self.process.poll() is not None:
                raise RuntimeError("opined exited while waiting until %s:\n%s" % (what, open(self.log_path).read()[-3000:]))
            return condition()
        wait_until(check, seconds, what, poll)

    def stored_or_refused(self, cases):
        """True once `cases` cases are stored; raises at once if a benchmark bundle was rejected."""
        refused = self.query("SELECT code, message FROM rejections LIMIT 1")
        if refused:
            raise RuntimeError("opined rejected a benchmark bundle: %s: %s" % refused[0])
        return self.query("SELECT count(*) FROM cases")[0][0] >= cases

    def ready_count(self):
        try:
            with open(self.log_path) as f:
                return f.read().count("opined ready")
        except FileNotFoundError:
            return 0

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=400)

    def memory_kib(self, field):
        """VmRSS (now) or VmHWM (peak) of the running daemon, in KiB."""
        with open("/proc/%d/status" % self.process.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return None

    def query(self, sql, args=()):
        connection = sqlite3.connect("file:%s?mode=ro" % self.database, uri=True, timeout=30)
        try:
            return connection.execute(sql, args).fetchall()
        finally:
            connection.close()

    def opine(self, *arguments):
        started = time.perf_counter()
        result = subprocess.run([os.path.join(self.binaries, "opine")] + list(arguments), env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return result, time.perf_counter() - started


class Receiver:
    """A loopback webhook receiver that answers 200 at once and remembers when each event arrived."""

    def __init__(self):
        arrivals = self.arrivals = []
        lock = self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                now = time.time()
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()
                with lock:
                    arrivals.append((now, body))

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            # socketserver's default backlog of 5 drops the SYNs of a burst of new connections, which then wait
            # a full second to retry: that would measure TCP, not Opine.
            request_queue_size = 128

            def handle_error(self, request, client_address):
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]

    def count(self):
        with self.lock:
            return len(self.arrivals)

    def close(self):
        self.server.shutdown()


def wait_until(condition, seconds, what, poll=0.005):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(poll)
    raise TimeoutError("timed out after %d s waiting until %s" % (seconds, what))


def parse_time(text):
    """Opine's RFC 3339 UTC times with milliseconds, as seconds since the epoch."""
    from datetime import datetime
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=__import__("datetime").timezone.utc).timestamp()


def median(values):
    return statistics.median(values)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# Seeded patients' names: 40 first names × 10 family names, so a full name matches 1 case in 400 (2,500 of a
# million): `opine find` by name is measured where it must page, not where it finds one.
FIRST_NAMES = ["Avery", "Jordan", "Riley", "Casey", "Morgan", "Taylor", "Quinn", "Rowan", "Sage", "Emery",
               "Zoë", "José", "Ana", "Liam", "Noah", "Maya", "Ava", "Ella", "Omar", "Yara",
               "Ines", "Hugo", "Lena", "Marco", "Nia", "Kofi", "Amara", "Chen", "Wei", "Priya",
               "Ravi", "Sofia", "Mateo", "Lucía", "Élodie", "Björn", "Astrid", "Farah", "Tariq", "Mei"]
LAST_NAMES = ["Okafor", "Ångström", "Sample", "García", "Nguyen", "Patel", "Smith", "Kowalski", "Müller", "Rossi"]


def seed_store(database, cases, events_per_case, outbox):
    """The documented bulk path: copies the one stored case (every column as intake wrote it) under new ids, with a
    mix of states and priorities, plus `events_per_case` copies of its intake event and, with `outbox`, one
    case.received notification each. Runs against the real schema, with its constraints and indexes."""
    connection = sqlite3.connect(database, timeout=60)
    connection.execute("PRAGMA journal_mode=WAL")
    template = connection.execute("SELECT * FROM cases LIMIT 1")
    columns = [c[0] for c in template.description]
    row = dict(zip(columns, template.fetchone()))
    event = dict(zip(*[(lambda cursor: ([c[0] for c in cursor.description], cursor.fetchone()))(
        connection.execute("SELECT * FROM events WHERE case_id = ? ORDER BY id LIMIT 1", (row["id"],)))][0]))
    note = dict(zip(*[(lambda cursor: ([c[0] for c in cursor.description], cursor.fetchone()))(
        connection.execute("SELECT * FROM outbox WHERE case_id = ? ORDER BY id LIMIT 1", (row["id"],)))][0]))
    states = ["received", "triaged", "reviewed", "responded", "withdrawn"]
    priorities = [("routine", 2), ("urgent", 1), ("emergency", 0)]
    case_columns = [c for c in columns if c != "seq"]
    event_columns = [c for c in event if c not in ("id", "hash", "prev_hash")]
    note_columns = [c for c in note if c not in ("id", "webhook_id")]

    def case_rows(start, stop):
        for n in range(start, stop):
            values = dict(row)
            values["id"] = "C-20200101-%07d" % n
            values["submission_id"] = "bench-seed-%d" % n
            values["content_sha256"] = "%064x" % n
            values["state"] = states[n % 5]
            values["priority"], values["priority_rank"] = priorities[n % 7 % 3]
            values["assignee"] = "dr-patel" if values["state"] != "received" else None
            # Patients differ, as in a real store, so `opine find` is measured on selective keys and on a common name.
            values["patient_name"] = "%s %s" % (FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[n // len(FIRST_NAMES) % len(LAST_NAMES)])
            values["patient_email"] = "patient%d@example.org" % n
            values["patient_phone"] = "+1 405 %03d %04d" % (n // 10_000 % 1000, n % 10_000)
            yield [values[c] for c in case_columns]

    batch = 100_000
    for start in range(0, cases, batch):
        stop = min(cases, start + batch)
        with connection:
            connection.executemany("INSERT INTO cases (%s) VALUES (%s)" % (",".join(case_columns), ",".join("?" * len(case_columns))),
                                   case_rows(start, stop))
            if events_per_case:
                connection.executemany(
                    "INSERT INTO events (%s) VALUES (%s)" % (",".join(event_columns), ",".join("?" * len(event_columns))),
                    ([("C-20200101-%07d" % n) if c == "case_id" else event[c] for c in event_columns]
                     for n in range(start, stop) for _ in range(events_per_case)))
            if outbox:
                connection.executemany(
                    "INSERT INTO outbox (%s) VALUES (%s)" % (",".join(note_columns), ",".join("?" * len(note_columns))),
                    ([("C-20200101-%07d" % n) if c == "case_id" else
                      note[c].replace(row["id"], "C-20200101-%07d" % n) if c == "data" else note[c] for c in note_columns]
                     for n in range(start, stop)))
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def curl_floor(receiver, count, scratch):
    """The same number of POSTs of a typical body by one curl process over one kept-alive connection."""
    body = os.path.join(scratch, "body.json")
    with open(body, "wb") as f:
        f.write(receiver.arrivals[0][1])
    config = os.path.join(scratch, "curl.config")
    with open(config, "w") as f:
        for _ in range(count):
            f.write('url = "%s"\n' % receiver.url)
    before = receiver.count()
    started = time.perf_counter()
    subprocess.run(["curl", "-s", "-K", config, "-H", "content-type: application/json", "-H", "Expect:",
                    "--data-binary", "@" + body], check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    if receiver.count() - before != count:
        raise RuntimeError("curl sent %d of %d requests" % (receiver.count() - before, count))
    return count / seconds
