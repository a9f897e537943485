"""A CD-like study folder for the browser test: a DICOMDIR, DICOM images without extensions (one in `bin/`, which its
bytes keep), and the litter a real MRI CD carries (a viewer program and its folder, autorun.inf, .DS_Store,
Thumbs.db, __MACOSX/). The DICOM files are laid out as OpineTestSupport's Samples.dicom writes them: preamble, DICM,
meta header, a small MR data set."""
import hashlib
import pathlib
import struct
import zipfile

PATIENT = "DOE^JANE"
BORN = "19680402"


def element(group, number, vr, text):
    value = text.encode()
    if len(value) % 2:
        value += b"\0" if vr == "UI" else b" "
    return struct.pack("<HH", group, number) + vr.encode() + struct.pack("<H", len(value)) + value


def dicom(seed, size=4000):
    """A DICOM file of `size` bytes with a readable header, explicit VR little endian."""
    meta = struct.pack("<HH", 2, 0) + b"UL" + struct.pack("<HI", 4, 28) + element(2, 0x10, "UI", "1.2.840.10008.1.2.1")
    data = (element(8, 0x60, "CS", "MR") + element(8, 0x1030, "LO", "MR LUMBAR SPINE") + element(8, 0x103E, "LO", "T2 SAG")
            + element(0x10, 0x10, "PN", PATIENT) + element(0x10, 0x30, "DA", BORN) + element(0x18, 0x15, "CS", "LSPINE")
            + element(0x20, 0x0D, "UI", "2.25.1") + element(0x20, 0x0E, "UI", "2.25.1.1")
            + element(0x20, 0x37, "DS", "0\\1\\0\\0\\0\\-1"))
    out = bytes(128) + b"DICM" + meta + data
    pixels = max(0, size - len(out) - 12)
    out += bytes([0xE0, 0x7F, 0x10, 0x00, 0x4F, 0x42, 0, 0]) + struct.pack("<I", pixels)
    # 4 KiB of the seed's hash chain, repeated: each file its own bytes, made in linear time.
    digests = [hashlib.sha256(seed.encode()).digest()]
    while len(digests) < 128:
        digests.append(hashlib.sha256(digests[-1]).digest())
    block = b"".join(digests)
    return (out + block * (pixels // len(block) + 2))[:size]


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# What the page must send (paths within the picked folder) and what it must leave out, with the words it shows.
SENT = ["DICOMDIR", "bin/IM000099"] + [f"DICOM/ST000001/SE000001/IM00000{i}" for i in range(1, 7)]  # sent(6)
LEFT_OUT = {
    "setup.exe": "viewer program",
    "autorun.inf": "autostart",
    ".DS_Store": "operating system",
    "DICOM/Thumbs.db": "operating system",
    "viewer/": "viewer program",
    "__MACOSX/": "operating system",
}


def sent(images=6):
    """What the page must send of a CD made by `make(…, images=…)`."""
    return ["DICOMDIR", "bin/IM000099"] + [f"DICOM/ST000001/SE000001/IM{i:06d}" for i in range(1, images + 1)]


def make(root, name="JANE DOE MRI CD", images=6, image_bytes=None):
    """Writes the CD under root/name (a patient-named folder, as people name them) and the report; returns (folder,
    report). `images` DICOM images of `image_bytes` each (by default a few KiB, each its own size): 40 of 1 MiB take
    the page several seconds to send in 64 KiB chunks, long enough to cut off mid-way."""
    cd = pathlib.Path(root) / name
    folder = cd / "DICOM" / "ST000001" / "SE000001"
    folder.mkdir(parents=True)
    (cd / "DICOMDIR").write_bytes(dicom(f"{name} dicomdir", 1200))
    for i in range(1, images + 1):
        (folder / f"IM{i:06d}").write_bytes(dicom(f"{name} image {i}", image_bytes or 3000 + 700 * i))
    # An image in a folder named like a viewer's: the bytes decide first, so it is sent (as opine pack keeps it).
    (cd / "bin").mkdir()
    (cd / "bin" / "IM000099").write_bytes(dicom(f"{name} image in bin", 2500))
    (cd / "DICOM" / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0" + bytes(60))
    (cd / "setup.exe").write_bytes(b"MZ\x90\x00" + bytes(200))
    (cd / "autorun.inf").write_bytes(b"[autorun]\r\nopen=setup.exe\r\n")
    (cd / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1" + bytes(40))
    viewer = cd / "viewer"
    viewer.mkdir()
    (viewer / "viewer.dll").write_bytes(b"MZ" + bytes(100))
    (viewer / "index.html").write_bytes(b"<html></html>")
    macosx = cd / "__MACOSX" / "DICOM"
    macosx.mkdir(parents=True)
    (macosx / "._IM000001").write_bytes(b"\x00\x05\x16\x07" + bytes(30))
    report = pathlib.Path(root) / "report.pdf"
    report.write_bytes(PDF)
    return cd, report


def make_broken(root):
    """A study whose only DICOM-looking file has DICM at byte 128 but no header Opine can read, and no report: the
    service refuses to build a bundle of it, and the page must say why in words a patient can act on."""
    cd = pathlib.Path(root) / "broken CD"
    cd.mkdir()
    meta = struct.pack("<HH", 2, 0) + b"UL" + struct.pack("<HI", 4, 28) + element(2, 0x10, "UI", "1.2.840.10008.1.2.1")
    # A meta header the page and the service's sniffing take, then bytes no data set is made of.
    (cd / "IM000001").write_bytes(bytes(128) + b"DICM" + meta + b"\xff\xfe\x00\x13" * 500)
    return cd


def make_zip(root, cd):
    """The CD zipped as macOS zips a folder: every file under the folder's own (patient-named) name, deflated, and
    macOS's __MACOSX/ beside it."""
    archive = pathlib.Path(root) / "mri.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(cd.rglob("*")):
            if not path.is_file():
                continue
            relative = path.relative_to(cd).as_posix()
            if relative.startswith("__MACOSX/"):
                out.write(path, "__MACOSX/" + cd.name + "/" + relative[len("__MACOSX/"):])
            else:
                out.write(path, cd.name + "/" + relative)
    return archive
