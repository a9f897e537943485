#!/usr/bin/env bash
# Starts opined on a development spool under ./var/dev from the shipped configuration, and drops the sample bundles
# in the way an upload service would (copy under a .part name, then rename): the small ones of Config/samples (one an
# emergency) and three real synthetic studies from scripts/make-samples.py (`make samples`, into .build/samples): a
# lumbar MRI, one whose images are another patient's, and a cervical study sent for a lumbar question. Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD/var/dev"
mkdir -p "$root/spool/drop" "$root/state"
# The shipped configuration plus one endpoint: a local receiver that verifies signatures and prints each event.
port="${OPINE_DEMO_PORT:-8787}"
export OPINE_DEMO_SECRET="whsec_$(head -c 32 /dev/urandom | base64)"
{ cat Config/opine.toml; printf '\n[endpoints.demo]\nurl = "http://127.0.0.1:%s/opine"\nallow_http = true\nsecret_env = "OPINE_DEMO_SECRET"\n' "$port"; } > "$root/opine.toml"
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

python3 scripts/webhook-receiver.py "$port" &
receiver=$!
"$bin/opined" &
daemon=$!
trap 'kill -TERM $daemon 2>/dev/null || true; wait $daemon 2>/dev/null || true; kill $receiver 2>/dev/null || true' EXIT
trap 'exit 0' INT TERM
for sample in Config/samples/*/ "${studies[@]/#/$generated/}"; do
  name=$(basename "$sample")
  cp -r "$sample" "$root/spool/drop/.$name.part" && mv "$root/spool/drop/.$name.part" "$root/spool/drop/$name-$(date +%s)"
done
cat <<TXT

opined is running on $root. In another terminal, try:
  export OPINE_CONFIG=$OPINE_CONFIG OPINE_PATHS_SPOOL=$OPINE_PATHS_SPOOL OPINE_PATHS_STATE=$OPINE_PATHS_STATE OPINE_WORKFLOW_ADMINS=$OPINE_WORKFLOW_ADMINS
  $bin/opine list
  $bin/opine triage CASE --assign dr-patel
  $bin/opine review CASE --findings "..." --as dr-patel
  $bin/opine respond CASE --letter-file letter.txt
  $bin/opine deliveries        # the webhooks sent to the demo receiver, whose lines appear below
Press Ctrl-C to stop.

TXT
wait $daemon || true
