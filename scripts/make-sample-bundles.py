#!/usr/bin/env python3
"""Writes the sample bundles shipped in Config/samples (fictional patients, tiny fake files). Re-run after changing
the bundle format; the output is committed so `make demo` needs nothing but a copy."""
import hashlib, json, os, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Config", "samples")

PDF = b"%PDF-1.4\n% Sample radiology report (fictional)\n1 0 obj<< /Type /Catalog >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n"

# The file meta header: group length 28, then the transfer syntax (explicit VR little endian).
DICOM_META = bytes.fromhex("02000000554c04001c000000" "0200100055491400") + b"1.2.840.10008.1.2.1\0"

def dicom(seed, name, born, region):
    # 128-byte preamble, DICM, the file meta header, a minimal data set (the patient, the region, a sagittal series),
    # then a few bytes of pixel data. scripts/make-samples.py makes whole synthetic studies.
    def element(group, number, vr, value):
        value = value + (b"\0" if vr == b"UI" else b" ") * (len(value) % 2)
        return group.to_bytes(2, "little") + number.to_bytes(2, "little") + vr + len(value).to_bytes(2, "little") + value
    family, given = name.split(" ")[-1], name.split(" ")[0]
    data = (element(0x0008, 0x0060, b"CS", b"MR") + element(0x0008, 0x1030, b"LO", b"MR " + region.upper().encode() + b" SPINE")
            + element(0x0010, 0x0010, b"PN", (family + "^" + given).upper().encode())
            + element(0x0010, 0x0030, b"DA", born.replace("-", "").encode())
            + element(0x0020, 0x000D, b"UI", b"2.25." + str(int(hashlib.sha256(seed[:-1].encode()).hexdigest()[:12], 16)).encode())
            + element(0x0020, 0x0037, b"DS", b"0\\1\\0\\0\\0\\-1"))
    pixels = hashlib.sha256(seed.encode()).digest() * 8
    return b"\0" * 128 + b"DICM" + DICOM_META + data + bytes.fromhex("e07f10004f420000") + len(pixels).to_bytes(4, "little") + pixels

SAMPLES = [
    ("web-sample-0001", "Avery Sample", "1971-03-14", ["lumbar"], ["sciatica", "back_pain"],
     "My MRI shows an L4-L5 disc herniation. Do I need surgery?"),
    ("web-sample-0002", "Jordan Example", "1958-11-02", ["lumbar"], ["bowel_bladder_dysfunction", "saddle_numbness"],
     "Since yesterday I cannot control my bladder and my groin is numb."),
    ("web-sample-0003", "Riley Placeholder", "1984-07-30", ["cervical"], ["numbness_tingling", "neck_pain"],
     "My hands tingle and my neck hurts; the report mentions C5-C6 stenosis."),
]

shutil.rmtree(OUT, ignore_errors=True)
for sid, name, born, regions, symptoms, question in SAMPLES:
    folder = os.path.join(OUT, sid)
    os.makedirs(os.path.join(folder, "MRI"))
    files = []
    for path, data, kind, media in [("report.pdf", PDF, "radiology_report", "application/pdf"),
                                    ("MRI/IM000001", dicom(sid + "1", name, born, regions[0]), "imaging", "application/dicom"),
                                    ("MRI/IM000002", dicom(sid + "2", name, born, regions[0]), "imaging", "application/dicom")]:
        with open(os.path.join(folder, path), "wb") as f:
            f.write(data)
        files.append({"path": path, "kind": kind, "media_type": media, "size": len(data),
                      "sha256": hashlib.sha256(data).hexdigest()})
    manifest = {
        "version": 1, "submission_id": sid, "submitted_at": "2026-11-26T09:30:00Z",
        "patient": {"name": name, "date_of_birth": born, "email": sid + "@example.org"},
        "consent": {"hipaa_authorization": True, "signed_at": "2026-11-26T09:29:00Z"},
        "request": {"regions": regions, "question": question, "symptoms": symptoms},
        "files": files,
    }
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
