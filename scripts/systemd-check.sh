#!/usr/bin/env bash
# Boots a real systemd as PID 1 in a Debian 12 container, installs Opine into it exactly as docs/operations.md says,
# and checks the service end to end: the upload service opine-upload started beside it (its sandbox, its start-up
# rename probe from its state into the drop directory, opined's signed webhooks reaching it on loopback, a request
# sent through it becoming a case), `Type=notify` start, a dropped bundle becoming a case, a restart beside an upload
# opined may not delete, watchdog pings arriving,
# reload, a clean stop, no system-call filter denial in the journal, and `opine` for members of the opine group only.
# Run as root (`make systemd-check`). The minimal Debian tree is made once with debootstrap and cached in
# .build/systemd-root; each run boots a throw-away overlay of it, so runs never see each other's state.
# OPINE_DEBIAN_MIRROR overrides the mirror, which is otherwise the one apt is configured with.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
leader=
fail() {
  echo "systemd-check: FAILED: $*" >&2
  [ -z "${state:-}" ] || echo "systemd-check: the container's system state was: $state" >&2
  if [ -n "$leader" ]; then # the container is up: what systemd and opined said
    inside systemctl status opined --no-pager -n 0 >&2 || true
    inside journalctl -u opined --no-pager -n 40 -o short-monotonic >&2 || true
    inside systemctl status opine-upload --no-pager -n 0 >&2 || true
    inside journalctl -u opine-upload --no-pager -n 20 -o short-monotonic >&2 || true
  fi
  exit 1
}
say() { echo "systemd-check: $*"; }
[ "$(id -u)" -eq 0 ] || fail "run as root: debootstrap, systemd-nspawn and nsenter need it"
scripts/install-deps.sh --systemd-check

started=$(date +%s.%N)
phase_start=$started
timings=()
elapsed() { awk -v a="$(date +%s.%N)" -v b="$1" 'BEGIN { printf "%.1f", a - b }'; }
phase() { # name: records how long the phase just finished took
  timings+=("$1 $(elapsed "$phase_start") s")
  phase_start=$(date +%s.%N)
}
# Polls a condition every 0.2 s until it holds or the deadline passes (never a fixed wait).
wait_for() { # what seconds command...
  local what=$1 limit=$2; shift 2
  local deadline; deadline=$(($(date +%s) + limit))
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "$what: not within ${limit} s"
    sleep 0.2
  done
}

# The cached base tree: only what a server needs (systemd, dbus and Opine's run-time packages) on minbase.
base=$repo/.build/systemd-root
if [ ! -e "$base/.opine-base-complete" ]; then
  mirror=${OPINE_DEBIAN_MIRROR:-}
  if [ -z "$mirror" ]; then # the first non-security URI in apt's sources, deb822 or one-line style
    mirror=$( { sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | tr ' ' '\n'
      awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; break } }' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null; } | grep -v -e '^$' -e security | head -1 || true)
  fi
  [ -n "$mirror" ] || fail "no Debian mirror found in apt's sources; set OPINE_DEBIAN_MIRROR"
  say "making the base tree in $base (debootstrap bookworm from apt's mirror)"
  mkdir -p "$(dirname "$base")"
  # A second try, from scratch, if a download breaks off.
  for attempt in 1 2; do
    rm -rf "$base.partial"
    debootstrap --variant=minbase --include=systemd,dbus,libcurl4,libsqlite3-0,ca-certificates \
      bookworm "$base.partial" "$mirror" >"$repo/.build/systemd-root.log" 2>&1 && break
    tail -20 "$repo/.build/systemd-root.log"
    [ "$attempt" = 1 ] || fail "debootstrap failed twice (log: .build/systemd-root.log)"
    say "debootstrap failed; trying once more"
  done
  touch "$base.partial/.opine-base-complete"
  rm -rf "$base" && mv "$base.partial" "$base"
  phase "debootstrap"
fi
scripts/install-deps.sh --runtime --root "$base" || fail "the base tree lacks Opine's run-time packages"

# This run's tree: an overlay on the base (a copy where overlayfs is refused), removed on exit.
run=$repo/.build/systemd-run
machine=opine-check-$$
nspawn=
cleanup() {
  if [ -n "$nspawn" ] && kill -0 "$nspawn" 2>/dev/null; then kill -TERM "$nspawn" 2>/dev/null; wait "$nspawn" 2>/dev/null || true; fi
  mountpoint -q "$run/tree" 2>/dev/null && umount "$run/tree"
  rm -rf "$run"
}
trap cleanup EXIT
mountpoint -q "$run/tree" 2>/dev/null && umount "$run/tree"
rm -rf "$run" && mkdir -p "$run/upper" "$run/work" "$run/tree"
tree=$run/tree
if ! mount -t overlay overlay -o "lowerdir=$base,upperdir=$run/upper,workdir=$run/work" "$tree" 2>/dev/null; then
  say "overlayfs refused; copying the base tree instead"
  cp -a "$base/." "$tree/"
fi

# Install exactly as docs/operations.md says: make install into the tree, then sysusers, tmpfiles and daemon-reload
# inside it, once it runs.
make --no-print-directory install DESTDIR="$tree" >"$run/install.log" 2>&1 || { cat "$run/install.log"; fail "make install failed"; }
mkdir -p "$tree/opt/opine-check"
cp -R Config/samples/web-sample-0001 "$tree/opt/opine-check/"
chmod -R a+rX "$tree/opt/opine-check"
phase "make install into the tree"

systemd-nspawn -q -D "$tree" --boot --register=no --keep-unit --machine="$machine" </dev/null >"$run/console.log" 2>&1 &
nspawn=$!
# The container's PID 1 as the host sees it: nspawn's child once it has become systemd (an intermediate child of
# nspawn's may be seen first).
find_leader() {
  local pid
  for pid in $(pgrep -P "$nspawn"); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = systemd ] && leader=$pid && return 0
  done
  return 1
}
wait_for "the container's systemd to start" 20 find_leader
inside() { nsenter -t "$leader" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
booted() { state=$(inside systemctl is-system-running 2>/dev/null) || true; [ "$state" = running ] || [ "$state" = degraded ]; }
state=
wait_for "the container to finish booting" 60 booted
[ "$(inside readlink /proc/1/exe)" = /usr/lib/systemd/systemd ] || [ "$(inside readlink /proc/1/exe)" = /lib/systemd/systemd ] ||
  fail "PID 1 in the container is not systemd"
say "systemd is PID 1 in the container (system state: $state)"
[ "$state" = running ] || inside systemctl --failed --no-legend --plain | sed 's/^/systemd-check:   failed unit (not Opine): /'
phase "boot"

inside systemd-sysusers || fail "systemd-sysusers failed"
inside systemd-tmpfiles --create >"$run/tmpfiles.log" 2>&1 || { cat "$run/tmpfiles.log"; fail "systemd-tmpfiles --create failed"; }
inside systemctl daemon-reload
config_owner=$(inside stat -c '%a %U %G' /etc/opine/opine.toml)
[ "$config_owner" = "640 root opine" ] || fail "/etc/opine/opine.toml is '$config_owner'; expected '640 root opine'"
# The check only: a 4 s watchdog (opined pings every 2 s, half of it), so a missed ping shows within seconds.
watchdog=4
mkdir -p "$tree/etc/systemd/system/opined.service.d"
printf '[Service]\nWatchdogSec=%ss\n' "$watchdog" >"$tree/etc/systemd/system/opined.service.d/systemd-check.conf"
inside systemctl daemon-reload
# The people: a reviewer in the opine group and the upload service's user in opine-upload only.
inside useradd -M -s /bin/sh reviewer && inside usermod -aG opine reviewer
inside useradd -M -s /usr/sbin/nologin uploader && inside usermod -aG opine-upload uploader
phase "sysusers, tmpfiles, users"

# The upload service, as docs/upload.md says: one secret in /etc/opine/credentials/upload for both units, opined's
# endpoint "upload" pointing at the service on loopback. A port of its own: the container shares the host's network.
upload_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(umask 077 && printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64)" >"$tree/etc/opine/credentials/upload")
sed -i "s#^address = \"127.0.0.1:8470\"#address = \"127.0.0.1:$upload_port\"#" "$tree/etc/opine/upload.toml"
printf '\n[endpoints.upload]\nurl = "http://127.0.0.1:%s/hooks/opine"\nallow_http = true\nsecret_file = "/run/credentials/opined.service/webhook_upload"\n' \
  "$upload_port" >>"$tree/etc/opine/opine.toml"
upload_owner=$(inside stat -c '%a %U %G' /etc/opine/upload.toml /var/spool/opine/upload | paste -sd' ')
[ "$upload_owner" = "640 root opine-upload 700 opine-upload opine-upload" ] ||
  fail "upload.toml and the upload state folder are '$upload_owner'; expected '640 root opine-upload 700 opine-upload opine-upload'"
inside systemctl enable --now opine-upload >"$run/upload-enable.log" 2>&1 || {
  cat "$run/upload-enable.log"; fail "systemctl enable --now opine-upload failed"; }
ushow() { inside systemctl show opine-upload -p "$1" --value; }
# /healthz answers only once the service has started, which it refuses (exit 78) when its rename probe fails.
healthz() { inside bash -c "exec 3<>/dev/tcp/127.0.0.1/$upload_port && printf 'GET /healthz HTTP/1.0\r\n\r\n' >&3 && grep -q '^ok' <&3" 2>/dev/null; }
wait_for "opine-upload to answer /healthz (its rename probe from staging into drop/ passed)" 20 healthz
upload_pid=$(ushow MainPID)
upload_sandbox=$(inside grep -E '^(Seccomp|NoNewPrivs|CapEff|Uid|Gid):' "/proc/$upload_pid/status" | tr -s '\t\n' '  ')
grep -q 'Seccomp: 2' <<<"$upload_sandbox" && grep -q 'NoNewPrivs: 1' <<<"$upload_sandbox" && grep -q 'CapEff: 0000000000000000' <<<"$upload_sandbox" ||
  fail "opine-upload runs without its sandbox: $upload_sandbox"
[ "$(inside id -u opine-upload)" = "$(awk '/^Uid:/ { print $2 }' <<<"$(inside cat "/proc/$upload_pid/status")")" ] ||
  fail "opine-upload does not run as the opine-upload user"
say "opine-upload is active (running) as opine-upload on 127.0.0.1:$upload_port and answers /healthz; sandbox: $upload_sandbox"
phase "opine-upload start"

# Start: `systemctl start` of a Type=notify unit returns once opined has sent READY=1.
inside systemctl enable --now opined >"$run/enable.log" 2>&1 || {
  cat "$run/enable.log"; inside journalctl -u opined --no-pager | tail -30; fail "systemctl enable --now opined failed"; }
show() { inside systemctl show opined -p "$1" --value; }
[ "$(show Type)" = notify ] || fail "opined.service is Type=$(show Type), not notify"
[ "$(show ActiveState)/$(show SubState)" = active/running ] || fail "opined is $(show ActiveState)/$(show SubState) after start"
main_pid=$(show MainPID)
# The sandbox is really in force, so a clean journal below means the filter let opined work, not that it was off.
sandbox=$(inside grep -E '^(Seccomp|NoNewPrivs|CapEff):' "/proc/$main_pid/status" | tr -s '\t\n' '  ')
grep -q 'Seccomp: 2' <<<"$sandbox" && grep -q 'NoNewPrivs: 1' <<<"$sandbox" && grep -q 'CapEff: 0000000000000000' <<<"$sandbox" ||
  fail "opined runs without its sandbox: $sandbox"
has_status() { [ -n "$(show StatusText)" ]; }
wait_for "opined's STATUS= line" 15 has_status
say "opined is active (running) through Type=notify; status: $(show StatusText); sandbox: $sandbox"
phase "start (Type=notify)"

# A bundle dropped the way the drop directory wants: copied under a hidden .part name, then renamed.
inside runuser -u uploader -- sh -c 'umask 007 && cp -R /opt/opine-check/web-sample-0001 /var/spool/opine/drop/.web-sample-0001.part &&
  mv /var/spool/opine/drop/.web-sample-0001.part /var/spool/opine/drop/web-sample-0001' || fail "the upload user cannot drop a bundle"
cases() { inside runuser -u reviewer -- opine list --json 2>"$run/list.err" |
  python3 -c 'import json, sys; print(len(json.load(sys.stdin)["cases"]))' 2>/dev/null || echo 0; }
has_case() { [ "$(cases)" -ge 1 ]; }
wait_for "the dropped bundle to become a case" 30 has_case
inside runuser -u reviewer -- opine list >"$run/list.txt" || fail "opine list failed for a member of the opine group"
say "the dropped bundle is a case: $(sed -n 2p "$run/list.txt")"
phase "bundle to case"

# opined's webhook about it reached the upload service on loopback through the sandboxes, and verified with the shared
# credential: the service logs it (another uploader's bundle, so "not ours"); a refused signature would log "webhook refused".
webhook_seen() { inside journalctl -u opine-upload --no-pager -o cat | grep -q 'outcome=not ours.*type=case.received\|type=case.received.*outcome=not ours'; }
wait_for "opined's case.received webhook verified by opine-upload" 30 webhook_seen
! inside journalctl -u opine-upload --no-pager -o cat | grep -q 'webhook refused' || fail "opine-upload refused a webhook of opined's"
say "opine-upload verified opined's case.received webhook (sent to 127.0.0.1:$upload_port, signed with /etc/opine/credentials/upload)"
phase "webhook to opine-upload"

# A request sent through the upload service as a patient's browser sends it (from the host: the container shares its
# network): opine-upload, under UMask=0007, builds the bundle and renames it into drop/; opined, in the opine-upload
# group, must take it out again, and its webhook turns the patient's status to "received".
request=$(python3 scripts/systemd-check-request.py "$upload_port" Config/samples/web-sample-0001/report.pdf) ||
  fail "the request sent through opine-upload was refused"
token=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["status_url"].rsplit("/", 1)[1])' <<<"$request")
bundle=$(python3 -c 'import json, sys; print("web-" + json.load(sys.stdin)["reference"].replace("-", "").lower())' <<<"$request")
has_two_cases() { [ "$(cases)" -ge 2 ]; }
wait_for "the request sent through opine-upload to become a case" 30 has_two_cases
patient_status() { python3 -c 'import json, sys, urllib.request
print(json.load(urllib.request.urlopen(sys.argv[1], timeout=5))["status"])' "http://127.0.0.1:$upload_port/api/status/$token" 2>/dev/null; }
received() { [ "$(patient_status)" = received ]; }
wait_for "the patient's status page to say received" 30 received
taken() { ! inside test -e "/var/spool/opine/drop/$bundle"; }
wait_for "opined to take the service's bundle $bundle out of drop/ ($(inside ls -A /var/spool/opine/drop | paste -sd' '))" 30 taken
say "a request sent through opine-upload became a case ($bundle, taken out of drop/), and its status says received"
phase "request through opine-upload"

# The uploader's copy above kept its source's modes (cp -R of 0755 folders under umask 007 makes 0750), so opined,
# in the opine-upload group, cannot empty it once taken: it stays under its hidden .opine-taken- name with a warning
# that says what to do, and a restart must not trip over it.
inside systemctl restart opined || fail "opined did not restart with a taken upload it cannot delete in drop/"
main_pid=$(show MainPID)
# Only the restarted process's lines: the first take may have warned already.
warned() { inside journalctl -u opined "_PID=$main_pid" --no-pager -o cat | grep -q 'a taken upload could not be deleted from the drop directory'; }
wait_for "opined's warning about the taken upload it cannot delete" 15 warned
say "restart: opined starts beside a taken upload it may not delete, and says why it stays"
phase "restart beside an undeletable upload"

# The watchdog: pings keep arriving (systemd's WatchdogTimestamp moves) for over two watchdog periods, and
# systemd neither kills nor restarts opined.
first_ping=$(show WatchdogTimestampMonotonic)
period=$(show WatchdogUSec)
[ "$period" = "${watchdog}s" ] || fail "WatchdogUSec is $period, expected ${watchdog}s"
pings=0 last_ping=$first_ping
pinged_long_enough() {
  local now; now=$(show WatchdogTimestampMonotonic)
  [ "$(show ActiveState)" = active ] && [ "$(show MainPID)" = "$main_pid" ] || fail "opined stopped or was restarted during the watchdog check"
  [ "$now" != "$last_ping" ] && pings=$((pings + 1)) && last_ping=$now
  [ $((now - first_ping)) -gt $((2 * watchdog * 1000000)) ]
}
wait_for "watchdog pings for two periods" $((4 * watchdog + 10)) pinged_long_enough
[ "$(show NRestarts)" = 0 ] || fail "opined was restarted $(show NRestarts) times"
say "watchdog: $pings pings seen over $(((last_ping - first_ping) / 1000)) ms with WatchdogSec=${watchdog}s; NRestarts=0"
phase "watchdog"

# Reload (SIGHUP): the journal shows it and opined keeps running, same process.
reloads() { inside journalctl -u opined --no-pager -o cat | grep -c 'configuration reloaded' || true; }
before=$(reloads)
inside systemctl reload opined || fail "systemctl reload opined failed"
reloaded() { [ "$(reloads)" -gt "$before" ]; }
wait_for "the reload in the journal" 15 reloaded
[ "$(show ActiveState)" = active ] && [ "$(show MainPID)" = "$main_pid" ] || fail "opined is not the same running process after reload"
say "reload: journal says 'configuration reloaded'; still active, same PID"
phase "reload"

# opine for people: a member of opine may, the upload user (not in opine) may not even read the configuration.
inside runuser -u reviewer -- opine status >"$run/status.txt" 2>&1 || { cat "$run/status.txt"; fail "opine status failed for a member of the opine group"; }
set +e; inside runuser -u uploader -- opine list >"$run/outsider.txt" 2>&1; outsider=$?; set -e
[ "$outsider" = 78 ] || { cat "$run/outsider.txt"; fail "opine as a non-member exited $outsider; expected 78 (configuration unreadable)"; }
say "opine: status and list work for a member of opine; a non-member is refused (exit 78)"
phase "opine for members"

# Stop: SIGTERM, exit 0, Result=success.
inside systemctl stop opined || fail "systemctl stop opined failed"
result="$(show Result) $(show ExecMainCode) $(show ExecMainStatus) $(show ActiveState)"
# ExecMainCode 1 is CLD_EXITED: opined exited by itself rather than being killed.
[ "$result" = "success 1 0 inactive" ] || fail "stop left 'Result ExecMainCode ExecMainStatus ActiveState' = '$result'"
say "stop: Result=success, exited with status 0"
inside systemctl stop opine-upload || fail "systemctl stop opine-upload failed"
result="$(ushow Result) $(ushow ExecMainCode) $(ushow ExecMainStatus) $(ushow ActiveState)"
[ "$result" = "success 1 0 inactive" ] || fail "stopping opine-upload left 'Result ExecMainCode ExecMainStatus ActiveState' = '$result'"
say "stop: opine-upload too, Result=success, exited with status 0"
phase "stop"

# The system-call filter denied nothing: no EPERM (the unit's SystemCallErrorNumber), SIGSYS or seccomp kill in
# opined's journal or the output of opine run by a member (the outsider's refusal is meant to be one). libdispatch's "Failed to set thread priority … errno=13" is the kernel, not the
# filter, refusing an unprivileged nice of -4 (deploy/opined.service says why); it is counted, not failed.
inside journalctl -u opined -u opine-upload --no-pager -o short-monotonic >"$run/journal.txt"
if grep -E -i 'EPERM|errno=1\b|SIGSYS|Operation not permitted|seccomp|status=31|core-dump|code=killed|code=dumped' \
  "$run/journal.txt" "$run/list.txt" "$run/list.err" "$run/status.txt"; then
  fail "the journal or opine's output shows a denied system call (above)"
fi
say "journal: $(wc -l <"$run/journal.txt") lines from opined's and opine-upload's units, no EPERM, SIGSYS or seccomp kill" \
  "($(grep -c 'errno=13' "$run/journal.txt" || true) libdispatch nice -4 refusals by the kernel, EACCES)"

kill -TERM "$nspawn"
halted() { ! kill -0 "$nspawn" 2>/dev/null; }
wait_for "the container to halt" 30 halted
wait "$nspawn" || true
nspawn=
phase "halt"
say "passed in $(elapsed "$started") s"
printf 'systemd-check:   %s\n' "${timings[@]}"
