"""The upload service's throughput: a study of 2,048 DICOM files (1 GiB at full size) sent through opine-upload's tus
routes on loopback by four parallel connections, each file one PATCH with its SHA-256 as the page sends it (computed
before the clock starts, as a patient's machine would), then
submitted; measured from the first request to the bundle's arrival in the drop directory, beside the floor (the same
bytes copied, synced and hashed once) and with the service's peak memory."""
import base64
import hashlib
import http.client
import json
import os
import secrets
import socket
import subprocess
import threading
import time

import lab


class Service:
    """The real opine-upload on a private drop and state folder, on a free loopback port."""

    def __init__(self, binaries, root):
        self.binaries, self.root = binaries, root
        self.drop, self.state = os.path.join(root, "drop"), os.path.join(root, "state")
        os.makedirs(self.drop)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.config = os.path.join(root, "upload.toml")
        with open(self.config, "w") as f:
            f.write('[paths]\ndrop = "%s"\nstate = "%s"\n[listen]\naddress = "127.0.0.1:%d"\n[logging]\nlevel = "warning"\n'
                    '[limits]\nbytes_per_hour = "1 TiB"\n' % (self.drop, self.state, self.port))
        self.log = open(os.path.join(root, "opine-upload.log"), "w")

    def start(self):
        assets = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Sources", "OpineUpload", "Assets")
        self.process = subprocess.Popen([os.path.join(self.binaries, "opine-upload"), "--config", self.config, "--assets", assets],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        lab.wait_until(self.healthy, 30, "opine-upload answers")

    def healthy(self):
        if self.process.poll() is not None:
            raise RuntimeError("opine-upload exited: " + open(self.log.name).read()[-2000:])
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False

    def memory_kib(self, field):
        for line in open("/proc/%d/status" % self.process.pid):
            if line.startswith(field + ":"):
                return int(line.split()[1])
        return 0

    def stop(self):
        self.process.terminate()
        self.process.wait(30)
        self.log.close()


class Client:
    """A browser's worth of tus: one CSRF token, a draft, and a connection per worker."""

    def __init__(self, port):
        self.port, self.token = port, secrets.token_urlsafe(32)

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def headers(self, extra=None):
        headers = {"Cookie": "opine_csrf=" + self.token, "X-Opine-CSRF": self.token, "Tus-Resumable": "1.0.0"}
        headers.update(extra or {})
        return headers

    def call(self, connection, method, path, body=None, headers=None, expect=(200, 201, 204)):
        connection.request(method, path, body=body, headers=self.headers(headers))
        response = connection.getresponse()
        data = response.read()
        if response.status not in expect:
            raise RuntimeError("%s %s: %d %s" % (method, path.split("/")[1], response.status, data[:300]))
        return response, data

    def send(self, connection, draft, role, path, data, checksum):
        metadata = ",".join("%s %s" % (key, base64.b64encode(value.encode()).decode())
                            for key, value in (("draft", draft), ("role", role), ("path", path)))
        response, _ = self.call(connection, "POST", "/api/uploads", headers={"Upload-Length": str(len(data)), "Upload-Metadata": metadata})
        location = response.getheader("Location")
        self.call(connection, "PATCH", location, body=data, headers={
            "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0", "Upload-Checksum": checksum})


ANSWERS = {"patient": {"name": "Bench Patient", "date_of_birth": "1970-01-01", "email": "bench@example.org"},
           "consent": {"hipaa_authorization": True},
           "request": {"regions": ["lumbar"], "question": "Benchmark upload.", "symptoms": ["sciatica"]}}


def upload_study(service, files, workers=4):
    """Sends `files` ([(path, bytes)]) and submits; returns the seconds until the bundle is in the drop directory.
    Each file's `Upload-Checksum` is computed before the clock starts: a patient's browser hashes on the patient's
    machine, while here client and service share two cores (the service still hashes every byte it receives)."""
    client = Client(service.port)
    files = [(path, data, "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()) for path, data in files]
    started = time.perf_counter()
    first = client.connection()
    _, body = client.call(first, "POST", "/api/drafts")
    draft = json.loads(body)["draft"]
    queue, failures = list(files), []
    lock = threading.Lock()

    def worker():
        connection = client.connection()
        while True:
            with lock:
                if not queue or failures:
                    return
                path, data, checksum = queue.pop()
            try:
                client.send(connection, draft, "study", path, data, checksum)
            except Exception as error:  # noqa: BLE001 - reported below
                with lock:
                    failures.append(error)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError("upload failed: %s" % failures[0])
    client.call(first, "POST", "/api/drafts/%s/submit" % draft, body=json.dumps(ANSWERS).encode(),
                headers={"Content-Type": "application/json"})
    lab.wait_until(lambda: any(not name.startswith(".") for name in os.listdir(service.drop)), 300, "the bundle is in drop", 0.005)
    return time.perf_counter() - started


def throughput(binaries, work, size, repetitions):
    """A 1 GiB study of 2,048 files through the upload service."""
    count, each = size["study_files"], size["study_file_bytes"]
    files = [("MRI/IM%06d" % n, lab.dicom(each, b"upload-%d" % n)) for n in range(count)]
    source = os.path.join(work, "upload-source")
    for path, data in files:
        os.makedirs(os.path.join(source, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(source, path), "wb") as f:
            f.write(data)
    total = sum(len(data) for _, data in files)
    runs, floors, peaks = [], [], []
    # Each repetition's bundle and floor copy stay until all have run: this file system (ext4 without a journal)
    # makes every new file skip the inodes freed in the last minutes one by one, so deleting a run's 2,048 files
    # just before the next would slow both the floor and the service by how much was deleted, not by their work.
    for repetition in range(repetitions):
        root = os.path.join(work, "upload-run-%d" % repetition)
        os.makedirs(root)
        service = Service(binaries, root)
        service.start()
        floors.append(lab.floor_copy_sync_hash(source, work, keep=True, name="floor-copy-%d" % repetition)["total"])
        runs.append(upload_study(service, files))
        peaks.append(service.memory_kib("VmHWM"))
        service.stop()
    for repetition in range(repetitions):
        subprocess.run(["rm", "-rf", os.path.join(work, "upload-run-%d" % repetition)], check=True)
        lab.remove_floor_copy(work, "floor-copy-%d" % repetition)
    seconds, floor, peak = lab.median(runs), lab.median(floors), lab.median(peaks)
    rate = total / 1e6 / seconds
    return [
        ("9. upload service", "%d files, %.0f MB over tus on loopback, to the bundle in drop" % (count, total / 1e6),
         "%.2f s (%.0f MB/s)" % (seconds, rate), "%.2f s" % floor, seconds / floor, "≥ 200 MB/s", rate >= 200),
        ("9. upload service", "opine-upload peak RSS during that upload", "%.1f MiB" % (peak / 1024), "", None, "≤ 64 MiB",
         peak <= 64 * 1024),
    ]
