#!/usr/bin/env python3
"""Loopback webhook receiver for Opine's end-to-end tests.

Usage: receiver.py LOG_FILE PORT_FILE [CERT KEY] (with CERT and KEY it speaks HTTPS). Logs every request as one JSON line
when it arrives, with its sequence number; when it is done with it, appends {"seq": N, "answered": true} to
finished.jsonl beside the log just before answering, or "answered": false when the client hung up while it waited.
Answers by path:
/ok 200, /fail 500, /flaky/N 500 for the first N requests of each webhook-id then 200, /redirect 302,
/slow never answers (it waits until the client hangs up, at most 10 minutes), /delay sleeps 0.3 s then 200,
/huge streams 64 MiB, /gone 410, /busy 503 with Retry-After: 1,
/switch/NAME 503 while the file NAME.down exists beside the log, else 200,
/hold/NAME waits while the file NAME.hold exists beside the log (until the client hangs up, at most 2 minutes), then 200.
"""
import json, os, select, socket, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

log_path, port_path = sys.argv[1], sys.argv[2]
finished_path = os.path.join(os.path.dirname(log_path), "finished.jsonl")
lock = threading.Lock()
seen = {}
state = {"seq": 0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        webhook_id = self.headers.get("webhook-id", "")
        status, extra, payload = self.decide(webhook_id)
        with lock:
            state["seq"] += 1
            seq = state["seq"]
            with open(log_path, "a") as log:
                log.write(json.dumps({
                    "path": self.path, "id": webhook_id, "timestamp": self.headers.get("webhook-timestamp"),
                    "signature": self.headers.get("webhook-signature"), "content_type": self.headers.get("content-type"),
                    "user_agent": self.headers.get("user-agent"), "body": body.decode("utf-8", "replace"),
                    "status": status, "at": time.time(), "peer_port": self.client_address[1],
                    "seq": seq,
                }) + "\n")
        answering = self.linger()
        with lock:
            with open(finished_path, "a") as finished:
                finished.write(json.dumps({"seq": seq, "answered": answering}) + "\n")
        if not answering:
            return
        try:
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            if self.path == "/huge":
                self.send_header("content-length", str(64 << 20))
                self.end_headers()
                chunk = b"x" * 65536
                for _ in range(1024):
                    self.wfile.write(chunk)
            else:
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def linger(self):
        """Holds the answer back as the path asks; False when the client hung up meanwhile."""
        if self.path == "/delay":
            time.sleep(0.3)
        elif self.path == "/slow":
            return self.wait_while(lambda: True, 600)
        elif self.path.startswith("/hold/"):
            hold = os.path.join(os.path.dirname(log_path), self.path.split("/")[2] + ".hold")
            return self.wait_while(lambda: os.path.exists(hold), 120)
        return True

    def wait_while(self, condition, seconds):
        """Waits while `condition` holds, at most `seconds`; False as soon as the client hangs up."""
        deadline = time.time() + seconds
        while condition() and time.time() < deadline:
            if self.client_gone():
                return False
            time.sleep(0.01)
        return True

    def client_gone(self):
        """Whether the client closed its end of the connection (it gave up waiting for the answer)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return False

    def decide(self, webhook_id):
        path = self.path
        if path.startswith("/flaky/"):
            failures = int(path.split("/")[2])
            with lock:
                seen[(path, webhook_id)] = seen.get((path, webhook_id), 0) + 1
                count = seen[(path, webhook_id)]
            return (500, {}, b"not yet") if count <= failures else (200, {}, b"ok")
        if path.startswith("/hold/"):
            return (200, {}, b"ok")
        if path.startswith("/switch/"):
            down = os.path.join(os.path.dirname(log_path), path.split("/")[2] + ".down")
            return (503, {}, b"down") if os.path.exists(down) else (200, {}, b"ok")
        return {
            "/ok": (200, {}, b"ok"),
            "/fail": (500, {}, b"internal error"),
            "/redirect": (302, {"location": "/redirected"}, b""),
            "/slow": (200, {}, b"late"),
            "/delay": (200, {}, b"ok"),
            "/messaging": (200, {}, b"ok"),
            "/huge": (200, {}, b""),
            "/gone": (410, {}, b"gone"),
            "/busy": (503, {"retry-after": "1"}, b"busy"),
        }.get(path, (404, {}, b"no such path"))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops SYNs when opined opens its connections at once; each dropped one
    # costs a second.
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A sender killed mid-request (the crash tests do it on purpose) resets the connection; that is no news.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


server = Server(("127.0.0.1", 0), Handler)
if len(sys.argv) > 4:
    import ssl
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[3], sys.argv[4])
    server.socket = context.wrap_socket(server.socket, server_side=True)
with open(port_path + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_path + ".tmp", port_path)
server.serve_forever()
