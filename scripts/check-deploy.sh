#!/usr/bin/env bash
# Checks what ops installs: both units (opined's and opine-upload's) pass `systemd-analyze verify` silently (it exits
# 0 even on typos, so any output fails) and score at most 1.5 on `systemd-analyze security`; `make install DESTDIR=…` lays out the
# expected tree with stripped binaries and their debug files; sysusers and tmpfiles create the user and directories
# with the intended owners and modes; in every documented order of make install, systemd-sysusers and
# systemd-tmpfiles the configuration ends readable by the opine user and group and by nobody else (owner and mode,
# and `opine check-config` run as each of them); and a second install keeps an edited configuration. Run by
# `make test`, as root (it changes owners and runs the CLI as other users). One release build serves every install.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
fail() { echo "check-deploy: $*" >&2; exit 1; }
command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (install systemd)"
[ "$(id -u)" -eq 0 ] || fail "run as root: the install scenarios set owners and run opine as other users"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The scratch roots' binaries are run as the opine user and others below, who must be able to reach them.
chmod 0755 "$work"
make --no-print-directory release >"$work/release.log" 2>&1 || { cat "$work/release.log"; fail "make release failed"; }
install_into() { # root: make install into a scratch root, reusing the release build above (-o release)
  make --no-print-directory -o release install DESTDIR="$1" PREFIX=/usr/local >>"$work/install.log" 2>&1 ||
    { cat "$work/install.log"; fail "make install DESTDIR=$1 failed"; }
}
root="$work/root"
install_into "$root"
expected="etc/opine/opine.toml
etc/opine/upload.toml
usr/local/bin/opine
usr/local/bin/opined
usr/local/bin/opine-upload
usr/local/lib/debug/usr/local/bin/opine.debug
usr/local/lib/debug/usr/local/bin/opined.debug
usr/local/lib/debug/usr/local/bin/opine-upload.debug
usr/local/lib/systemd/system/opined.service
usr/local/lib/systemd/system/opine-upload.service
usr/local/lib/sysusers.d/opine.conf
usr/local/lib/tmpfiles.d/opine.conf
usr/local/share/doc/opine/README.md
usr/local/share/doc/opine/operations.md
usr/local/share/doc/opine/webhooks.md
usr/local/share/opine/prometheus/opine-alerts.yml
usr/local/share/opine/nginx/opine-upload.conf
usr/local/share/opine/upload
usr/local/share/man/man8/opine-upload.8
usr/local/share/bash-completion/completions/opine-upload
usr/local/share/man/man1/opine.1
usr/local/share/man/man1/opine.purge.1
usr/local/share/man/man5/opine.toml.5
usr/local/share/man/man8/opined.8
usr/local/share/bash-completion/completions/opine
usr/local/share/zsh/site-functions/_opine
usr/local/share/fish/vendor_completions.d/opine.fish"
for path in $expected; do [ -e "$root/$path" ] || fail "make install did not create /$path"; done
[ "$(stat -c %a "$root/etc/opine/opine.toml")" = 640 ] || fail "the configuration should be mode 0640"
[ "$(stat -c %a "$root/etc/opine/upload.toml")" = 640 ] || fail "upload.toml should be mode 0640"
"$root/usr/local/bin/opine" --version >/dev/null || fail "the installed opine does not run"
"$root/usr/local/bin/opine-upload" --version >/dev/null || fail "the installed opine-upload does not run"
! ldd "$root/usr/local/bin/opined" | grep -q libswiftCore || fail "opined links the Swift runtime dynamically"
! ldd "$root/usr/local/bin/opine-upload" | grep -q -e libswiftCore -e libcurl -e libsqlite ||
  fail "opine-upload links the Swift runtime dynamically, or libcurl or SQLite, which it must not"
for program in opined opine opine-upload; do
  binary="$root/usr/local/bin/$program" debug="$root/usr/local/lib/debug/usr/local/bin/$program.debug"
  # readelf's output is kept whole: it may exit non-zero on a debug file's missing program interpreter, and a
  # pipe into grep -q would fail under pipefail either way.
  sections=$(readelf -S -W "$binary" 2>&1 || true) debug_sections=$(readelf -S -W "$debug" 2>&1 || true)
  link=$(readelf --string-dump=.gnu_debuglink "$binary" 2>&1 || true)
  grep -q -e '\.symtab' -e '\.debug_' <<<"$sections" && fail "the installed $program is not stripped"
  grep -q '\.debug_info' <<<"$debug_sections" || fail "$program.debug holds no debug information"
  grep -q "\] *$program\.debug\$" <<<"$link" || fail "the installed $program does not name $program.debug in .gnu_debuglink"
done
echo "check-deploy: binaries stripped ($(du -m "$root/usr/local/bin/opined" | cut -f1) MB opined), debug information in lib/debug"

# Each unit as installed, pointed at the built binary so verify can check ExecStart.
for program in opined opine-upload; do
  unit="$work/$program.service"
  sed "s#/usr/local/bin/$program #$root/usr/local/bin/$program #" "$root/usr/local/lib/systemd/system/$program.service" >"$unit"
  grep -q '@BINDIR@' "$unit" && fail "@BINDIR@ was not filled in in $program.service"
  output=$(systemd-analyze verify --man=no "$unit" 2>&1) || fail "systemd-analyze verify $program.service failed: $output"
  [ -z "$output" ] || fail "systemd-analyze verify $program.service printed: $output"
  score=$(systemd-analyze security --offline=yes "$unit" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  [ -n "$score" ] || fail "could not read $program.service's security score"
  awk -v s="$score" 'BEGIN { exit !(s <= 1.5) }' || fail "systemd-analyze security scores $program.service $score; the bar is 1.5"
  echo "check-deploy: $program.service verifies silently; security exposure $score"
done

# The documented steps, applied to a scratch root. Before make install has put the sysusers.d and tmpfiles.d files
# in place, the operator names them (docs/operations.md); here they come from deploy/ on standard input.
sysusers() { # root
  if [ -e "$1/usr/local/lib/sysusers.d/opine.conf" ]; then systemd-sysusers --root="$1"
  else systemd-sysusers --root="$1" - <deploy/sysusers.d/opine.conf; fi >/dev/null 2>&1 ||
    fail "systemd-sysusers rejected deploy/sysusers.d/opine.conf"
}
tmpfiles() { # root
  if [ -e "$1/usr/local/lib/tmpfiles.d/opine.conf" ]; then systemd-tmpfiles --root="$1" --create
  else systemd-tmpfiles --root="$1" --create - <deploy/tmpfiles.d/opine.conf; fi >/dev/null 2>&1 ||
    fail "systemd-tmpfiles rejected deploy/tmpfiles.d/opine.conf"
}
id_of() { awk -F: -v n="$2" '$1 == n { print $3 }' "$1"; } # file name

sysusers "$root"
grep -q '^opine:' "$root/etc/passwd" || fail "sysusers did not create the opine user"
grep -q '^opine-upload:.*opine' "$root/etc/group" || fail "opine is not a member of opine-upload"
[ "$(awk -F: '$1 == "opine-upload" { print $4 }' "$root/etc/passwd")" = "$(id_of "$root/etc/group" opine-upload)" ] ||
  fail "sysusers did not create the opine-upload user in the opine-upload group"
tmpfiles "$root"
uid=$(id_of "$root/etc/passwd" opine)
check_dir() { # path mode group
  local got gid
  gid=$(id_of "$root/etc/group" "$3")
  got=$(stat -c '%a %u %g' "$root$1") || fail "tmpfiles did not create $1"
  [ "$got" = "$2 $uid $gid" ] || fail "$1 is '$got' (mode uid gid); expected '$2 $uid $gid'"
}
check_dir /var/spool/opine 751 opine
check_dir /var/spool/opine/drop 2770 opine-upload
check_dir /var/spool/opine/rejected 2750 opine
check_dir /var/lib/opine 2770 opine
[ "$(stat -c %a "$root/etc/opine/credentials")" = 700 ] || fail "/etc/opine/credentials should be 0700"
upload_ids="$(id_of "$root/etc/passwd" opine-upload) $(id_of "$root/etc/group" opine-upload)"
got=$(stat -c '%a %u %g' "$root/var/spool/opine/upload") || fail "tmpfiles did not create /var/spool/opine/upload"
[ "$got" = "700 $upload_ids" ] || fail "/var/spool/opine/upload is '$got' (mode uid gid); expected '700 $upload_ids'"

# Who can read the configuration, in a root where the steps ran: owner and mode, then `opine check-config` run as
# the opine user (the service), a member of the opine group (a reviewer), a member of opine-upload only (the upload
# service) and nobody. The outsiders must get exit 78 (the configuration cannot be read), not some other failure.
check_config() { # root order
  local root=$1 order=$2 uid gid upload file got status
  uid=$(id_of "$root/etc/passwd" opine) gid=$(id_of "$root/etc/group" opine) upload=$(id_of "$root/etc/group" opine-upload)
  for file in "$root"/etc/opine/opine.toml*; do
    got=$(stat -c '%a %u %g' "$file")
    [ "$got" = "640 0 $gid" ] || fail "$order: /etc/opine/${file##*/} is '$got' (mode uid gid); expected '640 0 $gid' (root:opine)"
  done
  for file in "$root"/etc/opine/upload.toml*; do
    got=$(stat -c '%a %u %g' "$file")
    [ "$got" = "640 0 $upload" ] || fail "$order: /etc/opine/${file##*/} is '$got' (mode uid gid); expected '640 0 $upload' (root:opine-upload)"
  done
  as() { setpriv --reuid="$1" --regid="$2" "${@:3}" -- "$root/usr/local/bin/opine" check-config \
    --config "$root/etc/opine/opine.toml" >"$work/as.out" 2>&1; }
  as "$uid" "$gid" --clear-groups || { cat "$work/as.out"; fail "$order: the opine user cannot read the configuration"; }
  as 4242 4242 --groups="$gid" || { cat "$work/as.out"; fail "$order: a member of the opine group cannot read the configuration"; }
  for outsider in "4243 4243 --groups=$upload" "65534 65534 --clear-groups"; do
    status=0; as $outsider || status=$?
    [ "$status" = 78 ] || { cat "$work/as.out"; fail "$order: user ${outsider%% *} (not in opine) got exit $status reading the configuration; expected 78"; }
    grep -q 'cannot be read' "$work/as.out" || { cat "$work/as.out"; fail "$order: the refusal does not say the configuration cannot be read"; }
  done
}
check_config "$root" "install, sysusers, tmpfiles"
for order in "sysusers tmpfiles install" "sysusers install tmpfiles"; do
  scenario="$work/${order// /-}"
  mkdir -p "$scenario/etc" # a root as bare as can be: no user, no group, nothing of Opine
  for step in $order; do
    case $step in install) install_into "$scenario" ;; sysusers) sysusers "$scenario" ;; tmpfiles) tmpfiles "$scenario" ;; esac
  done
  check_config "$scenario" "${order// /, }"
done
echo "check-deploy: in each order (install-sysusers-tmpfiles, sysusers-tmpfiles-install, sysusers-install-tmpfiles)" \
  "the configuration is 0640 root:opine; the opine user and group read it, opine-upload and nobody get exit 78"

# A second install keeps an edited configuration (each of the two), and its new default is readable by the group at once.
echo "# edited by ops" >>"$root/etc/opine/opine.toml"
echo "# edited by ops" >>"$root/etc/opine/upload.toml"
install_into "$root"
grep -q "edited by ops" "$root/etc/opine/opine.toml" || fail "a second install overwrote the edited configuration"
[ -e "$root/etc/opine/opine.toml.new" ] || fail "a second install should leave the new default as opine.toml.new"
grep -q "edited by ops" "$root/etc/opine/upload.toml" || fail "a second install overwrote the edited upload.toml"
[ -e "$root/etc/opine/upload.toml.new" ] || fail "a second install should leave the new default as upload.toml.new"
check_config "$root" "a second install"
echo "check-deploy: install tree, users, directories and configuration upgrade all as expected"
