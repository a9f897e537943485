#!/usr/bin/env bash
# Starts opined on a fresh development spool under ./var/dev from the shipped configuration, and drops the sample
# bundles in the way an upload service would (copy under a .part name, then rename): the small ones of Config/samples
# (one an emergency) and three real synthetic studies from scripts/make-samples.py (`make samples`, into
# .build/samples): a lumbar MRI, one whose images are another patient's, and a cervical study sent for a lumbar
# question. Once opined has taken them, it writes var/dev/demo.env (opine on PATH with every variable the demo's
# configuration needs, and CASE: the emergency's case id) and prints the cases and the commands to paste into a
# second terminal; the README's example block is exactly those commands with $CASE for the id (scripts/check-demo.sh
# runs them). Beside opined it runs the patients' upload service, opine-upload, on var/dev/spool/upload with opined's
# endpoint "upload" pointing at it (signed with the demo's secret), and prints the page's address. Each run starts
# from an empty var/dev. Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD/var/dev"
# A second demo would wipe the first one's spool under it.
if [ -f "$root/demo.pid" ] && kill -0 "$(cat "$root/demo.pid")" 2>/dev/null; then
  echo "demo: a demo is already running (pid $(cat "$root/demo.pid")); stop it with Ctrl-C first" >&2
  exit 1
fi
rm -rf "$root"
mkdir -p "$root/spool/drop" "$root/state"
echo $$ >"$root/demo.pid"
# The shipped configuration plus one endpoint: a local receiver that verifies signatures and prints each event.
port="${OPINE_DEMO_PORT:-8787}"
upload_port="${OPINE_DEMO_UPLOAD_PORT:-8470}"
export OPINE_DEMO_SECRET="whsec_$(head -c 32 /dev/urandom | base64)"
{ cat Config/opine.toml; printf '\n[endpoints.demo]\nurl = "http://127.0.0.1:%s/opine"\nallow_http = true\nsecret_env = "OPINE_DEMO_SECRET"\n' "$port"
  printf '\n[endpoints.upload]\nurl = "http://127.0.0.1:%s/hooks/opine"\nallow_http = true\nsecret_env = "OPINE_DEMO_SECRET"\n' "$upload_port"
} > "$root/opine.toml"
# The upload service's configuration: the shipped one with the demo's folders, port and secret (its state beside
# drop/ in the spool, so a bundle arrives by one rename).
(umask 077 && printf '%s\n' "$OPINE_DEMO_SECRET" >"$root/upload-secret")
export OPINE_UPLOAD_PATHS_DROP="$root/spool/drop" OPINE_UPLOAD_PATHS_STATE="$root/spool/upload"
export OPINE_UPLOAD_LISTEN_ADDRESS="127.0.0.1:$upload_port" OPINE_UPLOAD_WEBHOOK_SECRET_FILE="$root/upload-secret"
export OPINE_CONFIG="$root/opine.toml"
export OPINE_PATHS_SPOOL="$root/spool" OPINE_PATHS_STATE="$root/state"
export OPINE_WORKFLOW_ADMINS="${OPINE_WORKFLOW_ADMINS:-$(id -un)}"
bin="$(swift build --show-bin-path)"
# The generated studies (`make samples`, which `make demo` runs first); written here when this script runs on its own.
generated=.build/samples
studies=(lumbar-mri wrong-patient cervical-only)
for study in "${studies[@]}"; do
  [ -f "$generated/$study/manifest.json" ] || { scripts/make-samples.py "$generated" --only "${studies[@]}"; break; }
done

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "demo: port $port is taken; choose another with OPINE_DEMO_PORT=PORT" >&2
  exit 1
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$upload_port") 2>/dev/null; then
  echo "demo: port $upload_port is taken; choose another for the upload page with OPINE_DEMO_UPLOAD_PORT=PORT" >&2
  exit 1
fi
python3 scripts/webhook-receiver.py "$port" &
receiver=$!
trap 'kill -TERM $receiver 2>/dev/null || true; wait $receiver 2>/dev/null || true; rm -f "$root/demo.pid"' EXIT
trap 'exit 0' INT TERM
# opined's first webhooks go out at once: the receiver must be listening, or they wait for their first retry.
deadline=$((SECONDS + 10))
until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
  kill -0 $receiver 2>/dev/null || { echo "demo: the webhook receiver did not start" >&2; exit 1; }
  [ $SECONDS -lt $deadline ] || { echo "demo: the webhook receiver is not listening on port $port" >&2; exit 1; }
  sleep 0.1
done
"$bin/opine-upload" --config Config/upload.toml &
upload=$!
trap 'kill -TERM $upload $receiver 2>/dev/null || true; wait $upload $receiver 2>/dev/null || true; rm -f "$root/demo.pid"' EXIT
# opined's webhooks to the upload service go out at once too.
deadline=$((SECONDS + 30))
until (exec 3<>"/dev/tcp/127.0.0.1/$upload_port") 2>/dev/null; do
  kill -0 $upload 2>/dev/null || { echo "demo: opine-upload did not start (its message is above)" >&2; exit 1; }
  [ $SECONDS -lt $deadline ] || { echo "demo: opine-upload is not listening on port $upload_port" >&2; exit 1; }
  sleep 0.1
done
"$bin/opined" &
daemon=$!
trap 'kill -TERM $daemon $upload $receiver 2>/dev/null || true; wait $daemon $upload $receiver 2>/dev/null || true; rm -f "$root/demo.pid"' EXIT
for sample in Config/samples/*/ "${studies[@]/#/$generated/}"; do
  name=$(basename "$sample")
  cp -r "$sample" "$root/spool/drop/.$name.part" && mv "$root/spool/drop/.$name.part" "$root/spool/drop/$name-$(date +%s)"
done

# opined has taken an upload once its name has left drop/ (a taken one is renamed to a dot name, then deleted).
deadline=$((SECONDS + ${OPINE_DEMO_DEADLINE:-120}))
while find "$root/spool/drop" -mindepth 1 -maxdepth 1 ! -name '.*' | grep -q .; do
  kill -0 $daemon 2>/dev/null || { echo "demo: opined stopped (its log is above)" >&2; exit 1; }
  [ $SECONDS -lt $deadline ] || { echo "demo: opined has not taken every sample in ${OPINE_DEMO_DEADLINE:-120} s (its log is above)" >&2; exit 1; }
  sleep 0.2
done
# The cases it made, and the one the commands below use: the emergency (or the first case, were there none).
{ read -r case_id which; table=$(cat); } < <("$bin/opine" list --json | python3 -c '
import json, sys
cases = json.load(sys.stdin)["cases"]
pick = next((c for c in cases if c["priority"] == "emergency"), cases[0] if cases else None)
print(pick["id"], "the emergency" if pick["priority"] == "emergency" else "the first case") if pick else print()
for c in cases:
    print(("  %s  %-9s  %-9s  %s" % (c["id"], c["priority"], c["state"], " ".join(c["flags"]))).rstrip())
')
[ -n "$case_id" ] || { echo "demo: opined took the samples but made no case (opine rejected shows why)" >&2; exit 1; }
{
  printf 'export PATH=%q:"$PATH"\n' "$bin"
  for name in OPINE_CONFIG OPINE_PATHS_SPOOL OPINE_PATHS_STATE OPINE_WORKFLOW_ADMINS OPINE_DEMO_SECRET; do
    printf 'export %s=%q\n' "$name" "${!name}"
  done
  printf 'CASE=%s\n' "$case_id"
} >"$root/demo.env"
chmod 0600 "$root/demo.env"

# One write, so the receiver's lines cannot land inside the block.
block=$(cat <<TXT

opined is running on $root and has taken the samples:
$table
The patients' upload page: http://127.0.0.1:$upload_port/ (opine-upload; opined's webhooks update its status links)

In a second terminal, in $PWD, paste these ($case_id is $which; var/dev/demo.env also sets CASE to it):

. var/dev/demo.env        # puts opine on PATH with the demo's settings (OPINE_CONFIG, OPINE_DEMO_SECRET, ...)
opine list                # the queue, emergencies first
opine show $case_id
opine triage $case_id --assign dr-patel
opine review $case_id --findings "Cauda equina compression at L4-L5" --as dr-patel
opine respond $case_id --letter-file docs/examples/letter.pdf
opine history $case_id
opine deliveries --case $case_id

The webhooks each command sends appear below as the demo receiver verifies them. Press Ctrl-C to stop.
TXT
)
printf '%s\n\n' "$block"
wait $daemon || true
