#!/usr/bin/env bash
# Opine's Debian packages, in four groups:
#   --build (the default): what building and testing Opine needs (`make deps`, `make test`, CI). As root it installs
#       what is missing with apt-get; otherwise it prints the exact command and exits 1.
#   --release: what `make release` and `make install` need to build the shipped binaries and their manual pages, and
#       no test tool. Installed like --build.
#   --runtime: what a server running opined and opine needs, and nothing more (the binaries carry the Swift runtime).
#       Only checked, never installed: prints what is missing and the command, exits 1. `make install` runs this.
#   --systemd-check: what `make systemd-check` needs to boot a container with systemd. Installed like --build.
# --check only checks any group (exit 1 and the command when something is missing); `make release` runs
# `--check --release`, so neither `make release` nor `make install` installs a package unasked.
# --root DIR checks the packages of the Debian tree at DIR instead of this machine (a DESTDIR or container root).
set -euo pipefail

# Run time. libcurl4: webhooks; libsqlite3-0: the case database; zlib1g: zip bundles; ca-certificates: webhook
# receivers' TLS certificates are verified.
runtime=(libcurl4 libsqlite3-0 zlib1g ca-certificates)
# Release. The -dev packages are what Opine links against; binutils: objcopy strips the release binaries; python3:
# scripts/install-docs.sh tidies the manual pages and writes opine.toml(5).
release=("${runtime[@]}" libsqlite3-dev libcurl4-openssl-dev zlib1g-dev binutils python3)
# Build and test, beyond the release group. systemd: check-deploy runs systemd-analyze, systemd-sysusers and
# systemd-tmpfiles; openssl: the tests make a self-signed certificate; python3-jsonschema: ManifestSchemaTests
# validates the documented manifests against docs/manifest.schema.json; python3-pydicom, python3-numpy, python3-reportlab: scripts/make-samples.py writes the
# sample DICOM studies and report PDFs (`make samples`, `make demo`, ImageChecksTests); dcmtk: dcmdump reads every
# generated DICOM file as an independent check, and DicomOracleTests holds the header reader to dcmtk's dcm2json on
# files pydicom writes. prometheus: promtool checks and unit-tests the shipped alert rules (scripts/check-alerts.sh).
# mandoc: scripts/check-docs.sh lints the generated manual pages with `mandoc -T lint`. chromium, chromium-driver,
# python3-selenium: the upload page's test in a real browser (Tests/Browser/upload_page_test.py, run by BrowserPageTests).
build=("${release[@]}" systemd openssl python3-jsonschema python3-pydicom python3-numpy python3-reportlab dcmtk prometheus mandoc
  chromium chromium-driver python3-selenium)
# scripts/systemd-check.sh: debootstrap makes a Debian tree, systemd-container's systemd-nspawn boots it.
systemd_check=(debootstrap systemd-container)

usage() { echo "usage: $0 [--check] [--root DIR] [--build | --release | --runtime | --systemd-check]" >&2; exit 2; }
group=build check=false root=
while [ $# -gt 0 ]; do
  case "$1" in
    --build) group=build ;;
    --release) group=release ;;
    --runtime) group=runtime check=true ;;
    --systemd-check) group=systemd_check ;;
    --check) check=true ;;
    --root) [ $# -ge 2 ] || usage; root=$2; shift ;;
    *) usage ;;
  esac
  shift
done
[ -z "$root" ] || check=true
declare -n packages=$group

admin=()
[ -z "$root" ] || admin=(--admindir="$root/var/lib/dpkg")
missing=()
for package in "${packages[@]}"; do
  dpkg-query "${admin[@]}" -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
where=${root:+the tree at $root}
if [ "$check" = false ] && [ "$(id -u)" -eq 0 ]; then
  echo "Installing ${missing[*]}" >&2
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  # Waits for another apt-get or dpkg to finish rather than failing on its lock.
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}" >/dev/null
else
  echo "Opine's ${group//_/-} packages missing on ${where:-this machine}: ${missing[*]}" >&2
  echo "Install them${root:+ in that tree} with:  sudo apt-get install -y ${missing[*]}" >&2
  [ "$group" = build ] && echo "(or run: sudo make deps)" >&2
  exit 1
fi
