#!/usr/bin/env bash
# Generates Opine's shell completions and manual pages from the built binaries and the shipped configuration, and
# installs them under DESTROOT/PREFIX; `make install` runs it, scripts/check-docs.sh checks its output. Nothing is
# written by hand, so the pages and completions say what `--help` says:
#   completions   `opine --generate-completion-script bash|zsh|fish` (swift-argument-parser)
#   opine(1)      swift-argument-parser's generate-manual over `opine --experimental-dump-help`: opine.1 with every
#                 subcommand, and a page of each (opine.triage.1, opine.endpoints.enable.1, ...)
#   opined(8)     the same over opined
#   opine-upload(8) the same over opine-upload, whose completions are its own too
#   opine.toml(5) scripts/opine-toml-man.py over Config/opine.toml's comments
# generate-manual is built from the swift-argument-parser checkout SwiftPM already resolved (no network), once,
# into .build/generate-manual; GENERATE_MANUAL names another build of it. The pages are dated by SOURCE_DATE_EPOCH,
# else the last commit, so the same tree gives the same bytes.
#
# Usage: scripts/install-docs.sh DESTROOT PREFIX BINDIR   (DESTROOT may be ""; BINDIR holds the built opine, opined,
# opine-upload)
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: scripts/install-docs.sh DESTROOT PREFIX BINDIR" >&2; exit 64; }
destroot=$1 prefix=$2
bindir=$(cd "$3" && pwd) || { echo "install-docs: no folder $3" >&2; exit 1; }
cd "$(dirname "$0")/.."
fail() { echo "install-docs: $*" >&2; exit 1; }
for binary in opine opined opine-upload; do [ -x "$bindir/$binary" ] || fail "$bindir/$binary is not built (run make release)"; done

generator=${GENERATE_MANUAL:-}
if [ -z "$generator" ]; then
  checkout=.build/checkouts/swift-argument-parser
  [ -f "$checkout/Package.swift" ] || swift package resolve >/dev/null
  log=$(swift build --package-path "$checkout" --scratch-path .build/generate-manual --product generate-manual 2>&1) ||
    fail "could not build generate-manual from $checkout:"$'\n'"$log"
  generator="$(swift build --package-path "$checkout" --scratch-path .build/generate-manual --show-bin-path)/generate-manual"
fi

if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
  date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%F)
else
  date=$(git log -1 --format=%cd --date=format:%F 2>/dev/null || date -u +%F)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/completions" "$work/tools" "$work/pages" "$work/man1" "$work/man5" "$work/man8"
"$bindir/opine" --generate-completion-script bash >"$work/completions/opine"
"$bindir/opine" --generate-completion-script zsh >"$work/completions/_opine"
"$bindir/opine" --generate-completion-script fish >"$work/completions/opine.fish"
"$bindir/opine-upload" --generate-completion-script bash >"$work/completions/opine-upload"
"$bindir/opine-upload" --generate-completion-script zsh >"$work/completions/_opine-upload"
"$bindir/opine-upload" --generate-completion-script fish >"$work/completions/opine-upload.fish"
# generate-manual runs the tool it is given with --experimental-dump-help: give it a stand-in that prints the dump
# as tidy-man.py prepares it (see there; it also lists the groups `--help` shows).
for tool in opine opined opine-upload; do
  "$bindir/$tool" --help >"$work/$tool.help"
  "$bindir/$tool" --experimental-dump-help | scripts/tidy-man.py dump-help "$work/$tool.help" >"$work/$tool.json"
  printf '#!/bin/sh\ncat %q\n' "$work/$tool.json" >"$work/tools/$tool"
  chmod +x "$work/tools/$tool"
done
# opine(1) holds every subcommand, so `man opine` reads whole; each also has its own page (opine.triage.1).
"$generator" "$work/tools/opine" --section 1 --date "$date" --output-directory "$work/man1"
"$generator" "$work/tools/opine" --multi-page --section 1 --date "$date" --output-directory "$work/pages"
mv "$work"/pages/opine.*.1 "$work/man1/"
"$generator" "$work/tools/opined" --section 8 --date "$date" --output-directory "$work/man8"
"$generator" "$work/tools/opine-upload" --section 8 --date "$date" --output-directory "$work/man8"
subpages=$(cd "$work/man1" && ls opine.*.1 | sed 's/\.1$/ 1/' | paste -sd,)
scripts/tidy-man.py pages --see-also "$subpages,opined 8,opine.toml 5" "$work/man1/opine.1"
scripts/tidy-man.py pages --see-also "opine 1,opined 8" "$work"/man1/opine.*.1
scripts/tidy-man.py pages --see-also "opine 1,opine.toml 5,opine-upload 8" "$work/man8/opined.8"
scripts/tidy-man.py pages --see-also "opined 8,opine 1" "$work/man8/opine-upload.8"
scripts/opine-toml-man.py --date "$date" Config/opine.toml >"$work/man5/opine.toml.5"

root="$destroot$prefix"
install -d "$root/share/bash-completion/completions" "$root/share/zsh/site-functions" \
  "$root/share/fish/vendor_completions.d" "$root/share/man/man1" "$root/share/man/man5" "$root/share/man/man8"
install -m 0644 "$work/completions/opine" "$root/share/bash-completion/completions/opine"
install -m 0644 "$work/completions/_opine" "$root/share/zsh/site-functions/_opine"
install -m 0644 "$work/completions/opine.fish" "$root/share/fish/vendor_completions.d/opine.fish"
install -m 0644 "$work/completions/opine-upload" "$root/share/bash-completion/completions/opine-upload"
install -m 0644 "$work/completions/_opine-upload" "$root/share/zsh/site-functions/_opine-upload"
install -m 0644 "$work/completions/opine-upload.fish" "$root/share/fish/vendor_completions.d/opine-upload.fish"
# A subcommand removed since the last install leaves no page behind.
rm -f "$root"/share/man/man1/opine.*.1
install -m 0644 "$work"/man1/*.1 "$root/share/man/man1/"
install -m 0644 "$work/man5/opine.toml.5" "$root/share/man/man5/"
install -m 0644 "$work/man8/opined.8" "$work/man8/opine-upload.8" "$root/share/man/man8/"
echo "install-docs: completions and $(ls "$work"/man1 | wc -l) + 3 manual pages in $root/share"
