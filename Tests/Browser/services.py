"""The programs the browser test runs: opine-upload on a free loopback port (killed with SIGKILL and started again on
the same port and configuration for the cut-off test), and a real opined whose drop directory is the service's and
whose `[endpoints.upload]` webhook points at the service's /hooks/opine, signed with the secret both share."""
import base64
import os
import socket
import subprocess
import urllib.request

from checks import check, wait_for

SECRET = "whsec_" + base64.b64encode(b"opine browser test secret").decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def secret_file(root):
    path = root / "webhook-secret"
    if not path.exists():
        path.write_text(SECRET + "\n")
        os.chmod(path, 0o600)
    return path


class UploadService:
    """opine-upload with drop `root/spool/drop` (opined's, when it runs) and state `root/state`; 64 KiB chunks, so a
    study of a few MiB takes many PATCHes and can be cut off mid-way."""

    def __init__(self, binaries, root, port):
        self.binaries, self.root, self.port = binaries, root, port
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = root / "opine-upload.log"
        self.config = root / "upload.toml"
        (root / "spool/drop").mkdir(parents=True)
        self.config.write_text(
            f'[paths]\ndrop = "{root}/spool/drop"\nstate = "{root}/state"\n[listen]\naddress = "127.0.0.1:{port}"\n'
            f'[page]\npractice_phone = "+1 405 555 0142"\n[webhook]\nsecret_file = "{secret_file(root)}"\n'
            '[limits]\nmax_chunk_bytes = "64 KiB"\n')
        self.process = None

    def start(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([str(self.binaries / "opine-upload"), "--config", str(self.config)], stdout=log, stderr=log)
        log.close()
        return wait_for("opine-upload answers /healthz", lambda: self.process.poll() is None and
                        urllib.request.urlopen(self.base + "/healthz", timeout=2).status == 200, 30)

    def kill(self):
        """SIGKILL: no graceful shutdown, whatever was in flight is cut off."""
        self.process.kill()
        self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def log(self):
        return self.log_path.read_text(errors="replace")


class Opined:
    """The real opined: spool `root/spool` (so its drop is the service's), its webhooks to the service."""

    def __init__(self, binaries, root, upload_port):
        self.binaries, self.root = binaries, root
        self.log_path = root / "opined.log"
        self.config = root / "opine.toml"
        self.config.write_text(
            f'[paths]\nspool = "{root}/spool"\nstate = "{root}/opined-state"\n'
            '[intake]\nsettle_seconds = 0.2\nrescan_seconds = 0.3\n'
            '[webhooks]\nretry_schedule = ["0.2s", "0.5s", "1s"]\nretry_jitter = 0\n'
            f'[endpoints.upload]\nurl = "http://127.0.0.1:{upload_port}/hooks/opine"\nallow_http = true\n'
            f'secret_file = "{secret_file(root)}"\n')
        self.process = None

    def start(self):
        log = open(self.log_path, "ab")
        environment = {"OPINE_CONFIG": str(self.config), "PATH": "/usr/bin:/bin"}
        self.process = subprocess.Popen([str(self.binaries / "opined")], stdout=log, stderr=log, env=environment)
        log.close()
        ready = wait_for("opined is ready", lambda: self.process.poll() is None and "opined ready" in self.log(), 60)
        return check(bool(ready), "a real opined started on the service's drop folder, its webhook pointing at the service")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
