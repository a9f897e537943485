#!/usr/bin/env bash
# Checks what ops installs: the unit passes `systemd-analyze verify` silently (it exits 0 even on typos, so any
# output fails) and scores at most 1.5 on `systemd-analyze security`; `make install DESTDIR=…` lays out the
# expected tree; sysusers and tmpfiles create the user and directories with the intended owners and modes; and a
# second install keeps an edited configuration. Run by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "check-deploy: $*" >&2; exit 1; }
command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (install systemd)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"

make --no-print-directory install DESTDIR="$root" PREFIX=/usr/local >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "make install failed"; }
expected="etc/opine/opine.toml
usr/local/bin/opine
usr/local/bin/opined
usr/local/lib/systemd/system/opined.service
usr/local/lib/sysusers.d/opine.conf
usr/local/lib/tmpfiles.d/opine.conf
usr/local/share/doc/opine/README.md
usr/local/share/doc/opine/operations.md
usr/local/share/doc/opine/webhooks.md"
for path in $expected; do [ -e "$root/$path" ] || fail "make install did not create /$path"; done
[ "$(stat -c %a "$root/etc/opine/opine.toml")" = 640 ] || fail "the configuration should be mode 0640"
"$root/usr/local/bin/opine" --version >/dev/null || fail "the installed opine does not run"
! ldd "$root/usr/local/bin/opined" | grep -q libswiftCore || fail "opined links the Swift runtime dynamically"

# The unit as installed, pointed at the built binary so verify can check ExecStart.
unit="$work/opined.service"
sed "s#/usr/local/bin/opined#$root/usr/local/bin/opined#" "$root/usr/local/lib/systemd/system/opined.service" >"$unit"
grep -q '@BINDIR@' "$unit" && fail "@BINDIR@ was not filled in"
output=$(systemd-analyze verify --man=no "$unit" 2>&1) || fail "systemd-analyze verify failed: $output"
[ -z "$output" ] || fail "systemd-analyze verify printed: $output"
score=$(systemd-analyze security --offline=yes "$unit" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || fail "could not read the security score"
awk -v s="$score" 'BEGIN { exit !(s <= 1.5) }' || fail "systemd-analyze security scores $score; the bar is 1.5"
echo "check-deploy: unit verifies silently; security exposure $score"

# sysusers and tmpfiles, applied to the install root.
systemd-sysusers --root="$root" >/dev/null 2>&1 || fail "systemd-sysusers rejected deploy/sysusers.d/opine.conf"
grep -q '^opine:' "$root/etc/passwd" || fail "sysusers did not create the opine user"
grep -q '^opine-upload:.*opine' "$root/etc/group" || fail "opine is not a member of opine-upload"
systemd-tmpfiles --root="$root" --create >/dev/null 2>&1 || fail "systemd-tmpfiles rejected deploy/tmpfiles.d/opine.conf"
uid=$(awk -F: '$1=="opine"{print $3}' "$root/etc/passwd")
check_dir() { # path mode group
  local got gid
  gid=$(awk -F: -v g="$3" '$1==g{print $3}' "$root/etc/group")
  got=$(stat -c '%a %u %g' "$root$1") || fail "tmpfiles did not create $1"
  [ "$got" = "$2 $uid $gid" ] || fail "$1 is '$got' (mode uid gid); expected '$2 $uid $gid'"
}
check_dir /var/spool/opine 751 opine
check_dir /var/spool/opine/drop 2770 opine-upload
check_dir /var/spool/opine/rejected 2750 opine
check_dir /var/lib/opine 2770 opine
[ "$(stat -c %a "$root/etc/opine/credentials")" = 700 ] || fail "/etc/opine/credentials should be 0700"

# A second install keeps an edited configuration.
echo "# edited by ops" >>"$root/etc/opine/opine.toml"
make --no-print-directory install DESTDIR="$root" PREFIX=/usr/local >"$work/install2.log" 2>&1 || fail "second make install failed"
grep -q "edited by ops" "$root/etc/opine/opine.toml" || fail "a second install overwrote the edited configuration"
[ -e "$root/etc/opine/opine.toml.new" ] || fail "a second install should leave the new default as opine.toml.new"
echo "check-deploy: install tree, users, directories and configuration upgrade all as expected"
