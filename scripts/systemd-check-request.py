"""Sends one request through a running opine-upload as the page does (a draft, each file one tus upload with its
SHA-256, then the answers), for `make systemd-check`: three generated MRI images and the sample report, different
from any other run's so opined makes a new case of them. Prints the service's answer (reference, receipt_url,
status_url) as JSON; exits 1 with the refusal when the service refuses."""
import base64
import hashlib
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench"))
import lab  # noqa: E402
import upload  # noqa: E402


def main():
    port, report = int(sys.argv[1]), sys.argv[2]
    client = upload.Client(port)
    connection = client.connection()
    _, body = client.call(connection, "POST", "/api/drafts")
    draft = json.loads(body)["draft"]
    files = [("study", "MRI/IM%06d" % n, lab.dicom(64 * 1024, os.urandom(8).hex().encode())) for n in range(3)]
    files.append(("report", "report.pdf", open(report, "rb").read()))
    for role, path, data in files:
        checksum = "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()
        client.send(connection, draft, role, path, data, checksum)
    _, answer = client.call(connection, "POST", "/api/drafts/%s/submit" % draft, body=json.dumps(upload.ANSWERS).encode(),
                            headers={"Content-Type": "application/json"})
    print(answer.decode())


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as error:
        sys.exit("systemd-check-request: %s" % error)
