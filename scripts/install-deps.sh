#!/usr/bin/env bash
# Installs the system libraries Opine builds against. As root it installs what is missing with apt-get; otherwise it
# prints the exact command to run. Called by `make` targets and by .ci/run, so a fresh Debian 12 machine with Swift
# needs nothing done by hand.
set -euo pipefail
# ca-certificates: webhook receivers' TLS certificates are verified; openssl: the tests make a self-signed one;
# python3-jsonschema: ManifestSchemaTests validates the documented manifests against docs/manifest.schema.json;
# python3-pydicom, python3-numpy, python3-reportlab: scripts/make-samples.py writes the sample DICOM studies and
# report PDFs (`make samples`, `make demo`, ImageChecksTests); dcmtk: dcmdump reads every generated DICOM file as an
# independent check, and DicomOracleTests holds the header reader to dcmtk's dcm2json on files pydicom writes.
# mandoc: scripts/check-docs.sh lints the generated manual pages with `mandoc -T lint`.
packages=(libsqlite3-dev libcurl4-openssl-dev zlib1g-dev python3 python3-jsonschema python3-pydicom python3-numpy
  python3-reportlab dcmtk ca-certificates openssl mandoc)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "Installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Opine needs these system packages: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
