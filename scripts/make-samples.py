#!/usr/bin/python3
"""Writes realistic but synthetic upload bundles: real DICOM MR studies and real radiology report PDFs.

    scripts/make-samples.py OUT_DIR [--only NAME ...] [--submission-prefix PREFIX]

writes OUT_DIR/<name>/ for each bundle below (all of them unless --only names some), replacing any earlier copy,
and prints one line per bundle. Every name, birth date, institution and finding is invented. Needs Debian's
python3-pydicom (2.3), python3-numpy and python3-reportlab (scripts/install-deps.sh installs them), hence
/usr/bin/python3 (a pyenv or venv python3 earlier on PATH may not see Debian's packages).

Bundles (a bundle is a folder: manifest.json, report.pdf, DICOMDIR, DICOM/IM000001 …; see docs/bundle-format.md):

  lumbar-mri     manifest "Avery Sample" 1971-03-14, lumbar. One MR study of SAMPLE^AVERY 1971-03-14,
                 "MR LUMBAR SPINE", LSPINE: series 1 sagittal T1 (15 images), 2 sagittal T2 (15), 3 axial T2 (20).
  wrong-patient  manifest "Jane Q. Doe" 1968-04-02, lumbar; the images (and the report) are DOE^JOHN 1971-06-02's
                 lumbar study, same three series: the intake check flags patient_mismatch.
  cervical-only  manifest "Riley Placeholder" 1984-07-30 asking about lumbar; the images are the same patient's
                 cervical study, "MR C-SPINE", CSPINE: sagittal T2 (15), axial T2 (20): flagged region_not_covered.
  two-patients   manifest "Jordan Sample" 1975-09-21, lumbar; the upload holds SAMPLE^JORDAN's lumbar study (three
                 series, 15/15/20) and SAMPLE^TAYLOR 1977-02-08's lumbar study (sagittal T2 15, axial T2 20), two
                 studies of two patients: flagged several_patients (and patient_mismatch: Taylor is not Jordan).

The DICOM files are MR Image Storage, explicit VR little endian, ISO_IR 192, 64x64 16-bit images of a smooth
synthetic spine pattern (about 9 KB each), with correct Image Orientation (Patient), Image Position (Patient)
stepping along the slice normal, slice thickness and pixel spacing. The DICOMDIR is written by this script
(PATIENT/STUDY/SERIES/IMAGE records with computed offsets) because pydicom's FileSet insists on its own file layout
(PT000000/ST000000/…), while a CD keeps its images under DICOM/. The manifest lists the DICOMDIR as kind `other`
(docs/bundle-format.md), each image as `imaging`, the report as `radiology_report`, with exact sizes and SHA-256.

The output is deterministic: UIDs are 2.25.<number> derived from the bundle and series names, dates are fixed, the
pixel pattern is seeded, and the PDF is written in reportlab's invariant mode, so two runs give identical bytes and
tests may rely on counts and hashes staying put until this script changes.
"""
import argparse
import datetime
import hashlib
import json
import os
import re
import shutil
import struct
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage

MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"
IMPLEMENTATION_VERSION = "OPINE_SAMPLES_1"
SIZE = 64  # rows and columns of every image


def uid(*parts):
    """A fixed UID under 2.25 (the UUID-derived root): 2.25 followed by 128 bits of a hash of the parts."""
    digest = hashlib.sha256("/".join(("opine-samples",) + parts).encode()).hexdigest()
    return "2.25." + str(int(digest[:32], 16) or 1)


IMPLEMENTATION_CLASS_UID = uid("implementation")


# ---------------------------------------------------------------------------------------------------------- studies

class Series:
    def __init__(self, number, description, protocol, plane, images, weighting, thickness, spacing, fov):
        self.number, self.description, self.protocol, self.plane = number, description, protocol, plane
        self.images, self.weighting, self.thickness, self.spacing, self.fov = images, weighting, thickness, spacing, fov


LUMBAR_SERIES = [
    Series(1, "t1_tse_sag", "t1_tse_sag", "sagittal", 15, "T1", 4.0, 4.4, 280.0),
    Series(2, "t2_tse_sag", "t2_tse_sag", "sagittal", 15, "T2", 4.0, 4.4, 280.0),
    Series(3, "t2_tse_tra", "t2_tse_tra", "axial", 20, "T2", 4.0, 4.0, 200.0),
]
CERVICAL_SERIES = [
    Series(1, "t2_tse_sag", "t2_tse_sag", "sagittal", 15, "T2", 3.0, 3.3, 240.0),
    Series(2, "t2_tse_tra", "t2_tse_tra", "axial", 20, "T2", 3.0, 3.3, 180.0),
]


class Study:
    def __init__(self, key, patient_name, patient_id, birth_date, sex, region, date, time, accession, series):
        self.key, self.patient_name, self.patient_id, self.birth_date, self.sex = key, patient_name, patient_id, \
            birth_date, sex
        self.region, self.date, self.time, self.accession, self.series = region, date, time, accession, series

    @property
    def description(self):
        return "MR LUMBAR SPINE" if self.region == "lumbar" else "MR C-SPINE"

    @property
    def body_part(self):
        return "LSPINE" if self.region == "lumbar" else "CSPINE"

    @property
    def age(self):
        born, on = datetime.date.fromisoformat(self.birth_date), datetime.date.fromisoformat(self.date)
        return "%03dY" % (on.year - born.year - ((on.month, on.day) < (born.month, born.day)))


def da(date):
    return date.replace("-", "")


# ---------------------------------------------------------------------------------------------------------- pixels

def pixels(study, series, index):
    """A smooth, seeded 16-bit picture of a spine: vertebral bodies, discs and the canal on sagittal slices, a
    vertebral body and the canal on axial ones, inside a soft body outline. Nothing anatomical is meant exactly."""
    rng = np.random.default_rng(int(hashlib.sha256(f"{study.key}/{series.number}/{index}".encode()).hexdigest()[:8], 16))
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64) / (SIZE - 1)  # y down the image, x across
    t1 = series.weighting == "T1"
    middle = (series.images - 1) / 2
    off = abs(index - middle) / max(middle, 1)  # 0 on the mid-sagittal slice, 1 at the edges
    image = np.zeros((SIZE, SIZE))
    if series.plane == "sagittal":
        # Columns run down the patient, rows from anterior (left) to posterior (right).
        body = np.clip(1.2 - ((x - 0.5) / 0.48) ** 2 * 1.2, 0, 1)
        image += (500 if t1 else 300) * body  # fat and muscle
        spine_x = 0.45 + 0.04 * np.sin(y * np.pi)  # a gentle lordosis
        in_column = np.exp(-((x - spine_x) / 0.07) ** 4)
        level = (y * 6.5 + 0.3) % 1.0  # five bodies and discs down the picture
        vertebra = np.exp(-((level - 0.45) / 0.3) ** 6)
        disc = np.exp(-((level - 0.93) / 0.06) ** 2)
        # The disc between the 4th and 5th bodies is dark (desiccated) and bulges back toward the canal.
        l45 = np.exp(-((y - 0.70) / 0.04) ** 2)
        image += in_column * (vertebra * (900 if t1 else 600) + disc * (450 if t1 else 1000) * (1 - 0.6 * l45))
        bulge = l45 * np.exp(-((x - spine_x - 0.10) / 0.03) ** 2)
        canal = np.exp(-((x - spine_x - 0.13) / 0.035) ** 2) * (1 - bulge)
        image += canal * (250 if t1 else 1400)
        image += bulge * (500 if t1 else 350)
        image *= 1 - 0.55 * off ** 2  # the column fades toward the lateral slices
    else:
        # Rows run left to right, columns anterior to posterior.
        body = np.clip(1.2 - ((x - 0.5) / 0.46) ** 2 - ((y - 0.5) / 0.36) ** 2, 0, 1)
        image += (300 if series.weighting == "T2" else 500) * body
        level = (index / max(series.images - 1, 1)) * 4.0 % 1.0  # disc levels come and go along the stack
        through_disc = np.exp(-((level - 0.9) / 0.12) ** 2)
        vb = np.exp(-(((x - 0.5) / 0.14) ** 2 + ((y - 0.48) / 0.11) ** 2) ** 2)
        image += vb * (600 * (1 - through_disc) + 1000 * through_disc)
        canal = np.exp(-(((x - 0.5) / 0.06) ** 2 + ((y - 0.66) / 0.05) ** 2) ** 2)
        image += canal * 1400
        muscle = np.exp(-(((np.abs(x - 0.5) - 0.16) / 0.08) ** 2 + ((y - 0.74) / 0.09) ** 2) ** 2)
        image += muscle * 250
    image += rng.normal(0, 12, image.shape)  # a little noise, seeded
    return np.clip(image, 0, 4095).astype("<u2")


# ---------------------------------------------------------------------------------------------------------- DICOM

def geometry(series, index):
    """Image Orientation (Patient), Image Position (Patient) and Slice Location of one slice, in LPS millimetres."""
    step = series.spacing
    offset = (index - (series.images - 1) / 2) * step
    half = series.fov / 2
    if series.plane == "sagittal":
        # Rows along +y (posterior), columns along -z (down): the normal is -x; slices step from right to left.
        return [0, 1, 0, 0, 0, -1], [offset, -half, half], offset
    # Rows along +x (to the patient's left), columns along +y: the normal is +z; slices step from head to foot.
    z = -offset
    return [1, 0, 0, 0, 1, 0], [-half, -half, z], z


def image_dataset(bundle, study, series, index, instance_uid):
    series_uid = uid(bundle, study.key, "series", str(series.number))
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = instance_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = IMPLEMENTATION_CLASS_UID
    meta.ImplementationVersionName = IMPLEMENTATION_VERSION
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "OTHER"]
    ds.InstanceCreationDate = da(study.date)
    ds.InstanceCreationTime = study.time
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = instance_uid
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = da(study.date)
    series_time = "%06d" % (int(study.time) + 400 * series.number)
    ds.StudyTime, ds.SeriesTime = study.time, series_time
    ds.AcquisitionTime = ds.ContentTime = "%06d" % (int(series_time) + index)
    ds.AccessionNumber = study.accession
    ds.Modality = "MR"
    ds.Manufacturer = "SIEMENS"
    ds.InstitutionName = "Synthetic Imaging Center"
    ds.InstitutionAddress = "1 Example Way, Springfield"
    ds.ReferringPhysicianName = "REFERRER^SYNTHETIC"
    ds.StationName = "SYNMR01"
    ds.StudyDescription = study.description
    ds.SeriesDescription = series.description
    ds.PerformingPhysicianName = ""
    ds.OperatorsName = "TECH^SYNTHETIC"
    ds.ManufacturerModelName = "Avanto"
    ds.PatientName = study.patient_name
    ds.PatientID = study.patient_id
    ds.PatientBirthDate = da(study.birth_date)
    ds.PatientSex = study.sex
    ds.PatientAge = study.age
    ds.PatientWeight = "78"
    ds.BodyPartExamined = study.body_part
    ds.ScanningSequence = "SE"
    ds.SequenceVariant = ["SK", "SP", "OSP"]
    ds.ScanOptions = ["PFP", "SP"] if series.plane == "axial" else ["PFP"]
    ds.MRAcquisitionType = "2D"
    ds.SequenceName = "*tse2d1_3" if series.weighting == "T1" else "*tse2d1_15"
    ds.AngioFlag = "N"
    ds.SliceThickness = series.thickness
    ds.RepetitionTime = 550 if series.weighting == "T1" else 3500
    ds.EchoTime = 11 if series.weighting == "T1" else 98
    ds.NumberOfAverages = 2
    ds.ImagingFrequency = 63.68
    ds.ImagedNucleus = "1H"
    ds.EchoNumbers = 1
    ds.MagneticFieldStrength = 1.5
    ds.SpacingBetweenSlices = series.spacing
    ds.EchoTrainLength = 3 if series.weighting == "T1" else 15
    ds.PercentSampling = 80
    ds.PercentPhaseFieldOfView = 100
    ds.PixelBandwidth = 190
    ds.DeviceSerialNumber = "00000"
    ds.SoftwareVersions = "syngo MR B17"
    ds.ProtocolName = series.protocol
    ds.AcquisitionMatrix = [0, SIZE, SIZE, 0]
    ds.InPlanePhaseEncodingDirection = "ROW" if series.plane == "sagittal" else "COL"
    ds.FlipAngle = 150
    ds.PatientPosition = "HFS"
    ds.StudyInstanceUID = uid(bundle, study.key, "study")
    ds.SeriesInstanceUID = series_uid
    ds.StudyID = "1"
    ds.SeriesNumber = series.number
    ds.AcquisitionNumber = 1
    ds.InstanceNumber = index + 1
    orientation, position, location = geometry(series, index)
    ds.ImagePositionPatient = [round(v, 4) for v in position]
    ds.ImageOrientationPatient = orientation
    ds.FrameOfReferenceUID = uid(bundle, study.key, "frame")
    ds.PositionReferenceIndicator = ""
    ds.SliceLocation = round(location, 4)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = SIZE
    ds.PixelSpacing = [series.fov / SIZE, series.fov / SIZE]
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.SmallestImagePixelValue, ds.LargestImagePixelValue = 0, 4095
    ds.WindowCenter, ds.WindowWidth = 800, 1600
    ds.PixelData = pixels(study, series, index).tobytes()
    ds["PixelData"].VR = "OW"
    return ds


def encode(ds):
    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, False
    write_dataset(fp, ds)
    return fp.getvalue()


def record(kind, **elements):
    ds = Dataset()
    ds.OffsetOfTheNextDirectoryRecord = 0
    ds.RecordInUseFlag = 0xFFFF
    ds.OffsetOfReferencedLowerLevelDirectoryEntity = 0
    ds.DirectoryRecordType = kind
    for name, value in elements.items():
        setattr(ds, name, value)
    return ds


def write_dicomdir(path, bundle, tree):
    """A DICOMDIR (PS3.10 Basic Directory) for tree = [(patient record, [(study record, [(series record,
    [image record, …]), …]), …]), …]. Offsets count from the first byte of the file (the preamble); every
    record is an item of defined length in a sequence of defined length, so each record's offset follows from
    the lengths alone (and an offset's value never changes a length: they are all UL)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MEDIA_STORAGE_DIRECTORY
    meta.MediaStorageSOPInstanceUID = uid(bundle, "dicomdir")
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = IMPLEMENTATION_CLASS_UID
    meta.ImplementationVersionName = IMPLEMENTATION_VERSION
    head = DicomBytesIO()
    head.is_little_endian, head.is_implicit_VR = True, False
    head.write(b"\0" * 128 + b"DICM")
    write_file_meta_info(head, meta, enforce_standard=True)
    root = Dataset()
    root.FileSetID = "OPINE_SAMPLE"
    root.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity = 0
    root.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity = 0
    root.FileSetConsistencyFlag = 0

    # Flatten in the order the records are written (depth first), with each level's siblings.
    order, levels = [], []

    def walk(nodes):
        siblings = []
        for node, children in nodes:
            order.append(node)
            siblings.append(node)
            node._children = walk(children) if children else []
        levels.append(siblings)
        return siblings

    top = walk([(p, [(st, [(se, [(im, None) for im in images]) for se, images in series]) for st, series in studies])
                for p, studies in tree])
    start = len(head.getvalue()) + len(encode(root)) + 12  # 12: the sequence's tag, VR, reserved and length
    offsets, at = {}, start
    for node in order:
        offsets[id(node)] = at
        at += 8 + len(encode(node))
    for siblings in levels:
        for this, following in zip(siblings, siblings[1:] + [None]):
            this.OffsetOfTheNextDirectoryRecord = offsets[id(following)] if following is not None else 0
    for node in order:
        node.OffsetOfReferencedLowerLevelDirectoryEntity = offsets[id(node._children[0])] if node._children else 0
    root.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity = offsets[id(top[0])]
    root.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity = offsets[id(top[-1])]
    items = b"".join(struct.pack("<HHI", 0xFFFE, 0xE000, len(e)) + e for e in (encode(n) for n in order))
    data = head.getvalue() + encode(root) + struct.pack("<HH2sHI", 0x0004, 0x1220, b"SQ", 0, len(items)) + items
    with open(path, "wb") as f:
        f.write(data)
    for node in order:
        del node._children


def write_studies(folder, bundle, studies):
    """Writes every image of the studies under folder/DICOM/IM000001 … and the DICOMDIR; returns the paths."""
    os.makedirs(os.path.join(folder, "DICOM"))
    paths, tree, patients, counter = [], [], {}, 0
    for study in studies:
        if study.patient_id not in patients:
            patient = record("PATIENT", SpecificCharacterSet="ISO_IR 192", PatientName=study.patient_name,
                             PatientID=study.patient_id, PatientBirthDate=da(study.birth_date),
                             PatientSex=study.sex)
            patients[study.patient_id] = (patient, [])
            tree.append(patients[study.patient_id])
        study_record = record("STUDY", SpecificCharacterSet="ISO_IR 192", StudyDate=da(study.date),
                              StudyTime=study.time, AccessionNumber=study.accession,
                              StudyDescription=study.description, StudyInstanceUID=uid(bundle, study.key, "study"),
                              StudyID="1")
        series_nodes = []
        patients[study.patient_id][1].append((study_record, series_nodes))
        for series in study.series:
            series_record = record("SERIES", SpecificCharacterSet="ISO_IR 192", Modality="MR",
                                   SeriesInstanceUID=uid(bundle, study.key, "series", str(series.number)),
                                   SeriesNumber=series.number, SeriesDescription=series.description)
            images = []
            series_nodes.append((series_record, images))
            for index in range(series.images):
                counter += 1
                name = "IM%06d" % counter
                instance_uid = uid(bundle, study.key, "image", str(series.number), str(index + 1))
                ds = image_dataset(bundle, study, series, index, instance_uid)
                ds.save_as(os.path.join(folder, "DICOM", name), write_like_original=False)
                paths.append("DICOM/" + name)
                images.append(record("IMAGE", ReferencedFileID=["DICOM", name],
                                     ReferencedSOPClassUIDInFile=MRImageStorage,
                                     ReferencedSOPInstanceUIDInFile=instance_uid,
                                     ReferencedTransferSyntaxUIDInFile=ExplicitVRLittleEndian,
                                     InstanceNumber=index + 1))
    write_dicomdir(os.path.join(folder, "DICOMDIR"), bundle, tree)
    return paths


# ---------------------------------------------------------------------------------------------------------- report

LUMBAR_FINDINGS = [
    ("Alignment", "Normal lumbar lordosis. No spondylolisthesis. Five lumbar-type vertebral bodies are assumed, the "
     "lowest rib-bearing vertebra being T12."),
    ("Vertebral bodies", "Vertebral body heights are maintained. Mild type 2 (fatty) endplate signal change at the "
     "inferior endplate of L4 and the superior endplate of L5. No marrow replacing lesion. No fracture."),
    ("Conus", "The conus medullaris terminates normally at the L1 level and has normal signal. The cauda equina "
     "nerve roots are unremarkable above L4."),
    ("T12-L1", "No disc herniation, spinal canal stenosis or neural foraminal narrowing."),
    ("L1-L2", "No disc herniation, spinal canal stenosis or neural foraminal narrowing."),
    ("L2-L3", "Minimal disc bulge without spinal canal stenosis. The neural foramina are patent."),
    ("L3-L4", "Mild disc bulge and mild bilateral facet arthropathy. No significant spinal canal stenosis. Mild "
     "bilateral neural foraminal narrowing without nerve root compression."),
    ("L4-L5", "Disc desiccation with loss of disc height. A left paracentral disc extrusion measuring 9 mm "
     "(anteroposterior) by 11 mm (transverse), extending 6 mm caudally behind the L5 body, compresses the "
     "traversing left L5 nerve root in the lateral recess and effaces the left ventral thecal sac. Moderate "
     "spinal canal stenosis (residual anteroposterior dimension of the thecal sac 8 mm). Moderate bilateral facet "
     "arthropathy with ligamentum flavum thickening. Mild right and moderate left neural foraminal narrowing; the "
     "exiting left L4 nerve root is contacted but not displaced."),
    ("L5-S1", "Mild disc desiccation and a small central disc protrusion without nerve root contact. No spinal canal "
     "stenosis. Mild bilateral neural foraminal narrowing."),
    ("Paraspinal soft tissues", "Unremarkable. No paraspinal collection. Incidentally noted simple-appearing cysts "
     "in both kidneys, the largest 12 mm on the left, not further characterised on this examination."),
]
LUMBAR_IMPRESSION = [
    "L4-L5 left paracentral disc extrusion with caudal migration, compressing the traversing left L5 nerve root in "
    "the lateral recess, and moderate spinal canal stenosis at this level. This correlates with the reported left "
    "sciatica.",
    "Mild degenerative changes at L3-L4 and L5-S1 without nerve root compression.",
    "Modic type 2 endplate changes at L4-L5.",
    "No fracture, no marrow lesion, normal conus.",
]
CERVICAL_FINDINGS = [
    ("Alignment", "Straightening of the normal cervical lordosis, which may be positional. No listhesis."),
    ("Vertebral bodies", "Heights are maintained. No marrow replacing lesion. No fracture."),
    ("Craniocervical junction", "Unremarkable. The cerebellar tonsils are in normal position."),
    ("Spinal cord", "Normal calibre and signal from the craniocervical junction to T2. No myelomalacia."),
    ("C2-C3", "No disc herniation, spinal canal stenosis or neural foraminal narrowing."),
    ("C3-C4", "Minimal disc bulge. No spinal canal stenosis. The neural foramina are patent."),
    ("C4-C5", "Mild disc osteophyte complex without cord contact. Mild right neural foraminal narrowing."),
    ("C5-C6", "Broad-based disc osteophyte complex effacing the ventral subarachnoid space and contacting, without "
     "deforming, the ventral cord. Mild spinal canal stenosis (anteroposterior canal 10 mm). Moderate bilateral "
     "uncovertebral hypertrophy with moderate bilateral neural foraminal narrowing, left worse than right."),
    ("C6-C7", "Small central disc protrusion. No spinal canal stenosis. Mild left neural foraminal narrowing."),
    ("C7-T1", "Unremarkable."),
    ("Paraspinal soft tissues", "Unremarkable. The visualised posterior fossa and upper thoracic spine are normal."),
]
CERVICAL_IMPRESSION = [
    "C5-C6 disc osteophyte complex with mild spinal canal stenosis and moderate bilateral neural foraminal narrowing, "
    "left worse than right, which may affect the exiting C6 nerve roots.",
    "No cord compression and no abnormal cord signal.",
    "Mild degenerative changes at C4-C5 and C6-C7.",
]


def write_report(path, study, radiologist, history):
    from reportlab import rl_config
    rl_config.invariant = 1  # no creation time or random document id: the same input gives the same bytes
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet, ParagraphStyle
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=10.5, leading=15, spaceAfter=6)
    heading = ParagraphStyle("heading", parent=styles["Heading3"], spaceBefore=10, spaceAfter=4)
    family, given = study.patient_name.split("^")[:2]
    patient = f"{given.title()} {family.title()}"
    lumbar = study.region == "lumbar"
    exam = "MRI LUMBAR SPINE WITHOUT CONTRAST" if lumbar else "MRI CERVICAL SPINE WITHOUT CONTRAST"
    date = datetime.date.fromisoformat(study.date)
    signed = (date + datetime.timedelta(days=1)).isoformat()

    def page(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica-Bold", 12)
        canvas.drawString(0.75 * inch, 10.4 * inch, "Synthetic Imaging Center")
        canvas.setFont("Helvetica", 8.5)
        canvas.drawString(0.75 * inch, 10.22 * inch, "1 Example Way, Springfield  ·  Department of Radiology  ·  "
                          "(555) 010-0199")
        canvas.drawRightString(7.75 * inch, 10.4 * inch, "SYNTHETIC SAMPLE: NOT A REAL PATIENT")
        canvas.line(0.75 * inch, 10.12 * inch, 7.75 * inch, 10.12 * inch)
        canvas.drawString(0.75 * inch, 0.6 * inch, f"{patient}  ·  DOB {study.birth_date}  ·  MRN {study.patient_id}"
                          f"  ·  Accession {study.accession}")
        canvas.drawRightString(7.75 * inch, 0.6 * inch, f"Page {doc.page}")
        canvas.restoreState()

    demographics = Table([
        ["Patient", patient, "Exam date", study.date],
        ["Date of birth", study.birth_date, "Accession", study.accession],
        ["MRN", study.patient_id, "Referring", "Synthetic Referrer, MD"],
        ["Sex", {"F": "Female", "M": "Male"}.get(study.sex, "Other"), "Status", "FINAL"],
    ], colWidths=[1.1 * inch, 2.4 * inch, 1.0 * inch, 2.5 * inch])
    demographics.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "Helvetica", 9.5),
                                      ("FONT", (0, 0), (0, -1), "Helvetica-Bold", 9.5),
                                      ("FONT", (2, 0), (2, -1), "Helvetica-Bold", 9.5),
                                      ("BOX", (0, 0), (-1, -1), 0.5, colors.grey),
                                      ("BACKGROUND", (0, 0), (-1, -1), colors.whitesmoke)]))
    sequences = ", ".join(f"{s.plane} {s.weighting} ({s.images} images, {s.thickness:g} mm)" for s in study.series)
    story = [Paragraph(exam, styles["Title"]), demographics, Spacer(1, 10),
             Paragraph("Clinical history", heading), Paragraph(history, body),
             Paragraph("Technique", heading),
             Paragraph(f"Multiplanar, multisequence MRI of the {'lumbar' if lumbar else 'cervical'} spine on a 1.5 T "
                       f"system without intravenous contrast: {sequences}.", body),
             Paragraph("Comparison", heading), Paragraph("None available.", body),
             Paragraph("Findings", heading)]
    for level, text in LUMBAR_FINDINGS if lumbar else CERVICAL_FINDINGS:
        story.append(Paragraph(f"<b>{level}:</b> {text}", body))
    story.append(Paragraph("Impression", heading))
    for n, text in enumerate(LUMBAR_IMPRESSION if lumbar else CERVICAL_IMPRESSION, 1):
        story.append(Paragraph(f"{n}. {text}", body))
    story += [Paragraph("Recommendation", heading),
              Paragraph("Clinical correlation with the distribution of symptoms. Referral to spine surgery may be "
                        "considered if radicular symptoms persist despite conservative management or if there is "
                        "progressive neurological deficit.", body),
              Spacer(1, 18),
              Paragraph(f"Electronically signed by {radiologist}, Radiologist, on {signed}.", body),
              Paragraph("This report was generated for software testing. Every name, date and finding in it is "
                        "invented; it describes no real person.", ParagraphStyle("small", parent=body, fontSize=8,
                                                                                 textColor=colors.grey))]
    doc = SimpleDocTemplate(path, pagesize=letter, leftMargin=0.75 * inch, rightMargin=0.75 * inch,
                            topMargin=1.1 * inch, bottomMargin=0.9 * inch, title=f"{exam} - {patient}",
                            author=radiologist, subject="Synthetic radiology report", creator="make-samples.py",
                            invariant=1)
    doc.build(story, onFirstPage=page, onLaterPages=page)
    with open(path, "rb") as f:
        pages = f.read().count(b"/Type /Page\n")
    if pages < 2:
        sys.exit(f"make-samples.py: {path} has {pages} page(s), expected at least 2")


# ---------------------------------------------------------------------------------------------------------- bundles

LUMBAR_HISTORY = ("Low back pain for four months with pain radiating down the left leg to the lateral foot, worse on "
                  "sitting. Evaluate for disc herniation.")
CERVICAL_HISTORY = "Neck pain and intermittent tingling in the left thumb and index finger. Evaluate for stenosis."


def bundles():
    """name -> (studies, the report's study, its history, the manifest's patient, request)."""
    avery = Study("avery", "SAMPLE^AVERY", "SYN0001", "1971-03-14", "F", "lumbar", "2026-10-14", "081500",
                  "SYNACC0001", LUMBAR_SERIES)
    john = Study("john", "DOE^JOHN", "SYN0002", "1971-06-02", "M", "lumbar", "2026-09-30", "143000",
                 "SYNACC0002", LUMBAR_SERIES)
    riley = Study("riley", "PLACEHOLDER^RILEY", "SYN0003", "1984-07-30", "O", "cervical", "2026-10-02", "101500",
                  "SYNACC0003", CERVICAL_SERIES)
    jordan = Study("jordan", "SAMPLE^JORDAN", "SYN0004", "1975-09-21", "M", "lumbar", "2026-10-20", "090000",
                   "SYNACC0004", LUMBAR_SERIES)
    taylor = Study("taylor", "SAMPLE^TAYLOR", "SYN0005", "1977-02-08", "F", "lumbar", "2026-08-11", "161500",
                   "SYNACC0005", [Series(1, "t2_tse_sag", "t2_tse_sag", "sagittal", 15, "T2", 4.0, 4.4, 280.0),
                                  Series(2, "t2_tse_tra", "t2_tse_tra", "axial", 20, "T2", 4.0, 4.0, 200.0)])
    lumbar_question = "My MRI shows an L4-L5 disc herniation. Do I need surgery?"
    return {
        "lumbar-mri": ([avery], avery, LUMBAR_HISTORY, "Dr. Quinn Fictitious, MD",
                       {"name": "Avery Sample", "date_of_birth": "1971-03-14", "email": "web-sample-0001@example.org"},
                       {"regions": ["lumbar"], "question": lumbar_question, "symptoms": ["sciatica", "back_pain"],
                        "symptom_onset": "2026-06-15", "prior_treatments": ["physical_therapy", "medication"]}),
        "wrong-patient": ([john], john, LUMBAR_HISTORY, "Dr. Quinn Fictitious, MD",
                          {"name": "Jane Q. Doe", "date_of_birth": "1968-04-02", "email": "jane@example.org"},
                          {"regions": ["lumbar"], "question": "Is surgery needed for my L4-L5 herniation?",
                           "symptoms": ["sciatica", "back_pain"]}),
        "cervical-only": ([riley], riley, CERVICAL_HISTORY, "Dr. Sam Invented, MD",
                          {"name": "Riley Placeholder", "date_of_birth": "1984-07-30",
                           "email": "riley.placeholder@example.org"},
                          {"regions": ["lumbar"], "question": "My lower back hurts and the pain goes down my left "
                           "leg. What do my images show?", "symptoms": ["sciatica", "back_pain"]}),
        "two-patients": ([jordan, taylor], jordan, LUMBAR_HISTORY, "Dr. Quinn Fictitious, MD",
                         {"name": "Jordan Sample", "date_of_birth": "1975-09-21", "phone": "+1 555 010 0142"},
                         {"regions": ["lumbar"], "question": lumbar_question, "symptoms": ["sciatica"]}),
    }


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def write_bundle(out, name, spec, prefix):
    studies, report_study, history, radiologist, patient, request = spec
    folder = os.path.join(out, name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    write_report(os.path.join(folder, "report.pdf"), report_study, radiologist, history)
    images = write_studies(folder, name, studies)
    entries = [("report.pdf", "radiology_report", "application/pdf"), ("DICOMDIR", "other", "application/dicom")]
    entries += [(path, "imaging", "application/dicom") for path in images]
    files = [{"path": path, "kind": kind, "media_type": media, "size": os.path.getsize(os.path.join(folder, path)),
              "sha256": sha256(os.path.join(folder, path))} for path, kind, media in entries]
    manifest = {"version": 1, "submission_id": prefix + name, "submitted_at": "2026-11-26T09:30:00Z",
                "patient": patient, "consent": {"hipaa_authorization": True, "signed_at": "2026-11-26T09:29:00Z"},
                "request": request, "files": files}
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    size = sum(entry["size"] for entry in files)
    series = "; ".join(f"{s.patient_name} {s.description}: " + ", ".join(f"{x.plane} {x.weighting} ({x.images})"
                                                                         for x in s.series) for s in studies)
    print(f"{folder}: {len(images)} images, DICOMDIR, report.pdf, {size / 1e6:.1f} MB; manifest {patient['name']} "
          f"{patient['date_of_birth']} {','.join(request['regions'])}; {series}")


def main():
    specs = bundles()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", metavar="OUT_DIR")
    parser.add_argument("--only", nargs="+", action="extend", metavar="NAME",
                        help="write only these bundles (" + ", ".join(specs) + ")")
    parser.add_argument("--submission-prefix", default="sample-", metavar="PREFIX",
                        help="each manifest's submission_id is PREFIX + the bundle's name (default sample-)")
    args = parser.parse_args()
    unknown = [name for name in args.only or [] if name not in specs]
    if unknown:
        parser.error(f"unknown bundle {', '.join(unknown)}; the bundles are {', '.join(specs)}")
    if not re.fullmatch(r"[A-Za-z0-9._-]{0,50}", args.submission_prefix):
        parser.error("--submission-prefix: at most 50 of A-Z a-z 0-9 . _ - (a submission_id is 1-64 of them)")
    os.makedirs(args.out, exist_ok=True)
    for name in args.only or specs:
        write_bundle(args.out, name, specs[name], args.submission_prefix)


if __name__ == "__main__":
    main()
