#!/usr/bin/env python3
"""A tiny webhook receiver for trying Opine out: verifies each request's Standard Webhooks signature and prints one
line per event. Usage: OPINE_DEMO_SECRET=whsec_... webhook-receiver.py PORT (answers on 127.0.0.1 only)."""
import base64, hashlib, hmac, json, os, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer

KEY = base64.b64decode(os.environ["OPINE_DEMO_SECRET"].removeprefix("whsec_"))


def verified(headers, body):
    stamp = headers.get("webhook-timestamp", "0")
    if abs(time.time() - int(stamp)) > 300:
        return False
    signed = f"{headers.get('webhook-id')}.{stamp}.".encode() + body
    expected = base64.b64encode(hmac.new(KEY, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, s.removeprefix("v1,")) for s in headers.get("webhook-signature", "").split())


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        ok = verified(self.headers, body)
        event = json.loads(body) if ok else {}
        data = event.get("data", {})
        print(f"webhook {'verified' if ok else 'BAD SIGNATURE'}: {event.get('type', '?')} "
              f"{data.get('case_id') or data.get('reason', '')} {data.get('state', '')} {data.get('priority', '')}",
              flush=True)
        self.send_response(204 if ok else 401)
        self.end_headers()


HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
