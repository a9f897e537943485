#!/usr/bin/env bash
# Runs the README's demo as a new user would: scripts/demo.sh in the background (on a free port, within a deadline),
# then checks that the commands it prints are the README's example block (its case id read as $CASE), runs that
# README block verbatim in a clean second shell from the repository's folder (every command must succeed), waits for
# the demo receiver to verify the case.responded webhook, and stops the demo, which must stop cleanly. It replaces
# ./var/dev, as `make demo` does, and refuses to run beside a running demo. Needs the debug build and the samples'
# Python packages (`make build`, scripts/install-deps.sh). Run by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "check-demo: $*" >&2; exit 1; }
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
upload_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Its own process group, so a failure here can stop the demo, its opined, its upload service and its receiver together.
OPINE_DEMO_PORT=$port OPINE_DEMO_UPLOAD_PORT=$upload_port setsid scripts/demo.sh >"$work/demo.log" 2>&1 &
demo=$!
stop() { kill -TERM "$demo" 2>/dev/null || true; demo_status=0; wait "$demo" 2>/dev/null || demo_status=$?; }
trap 'status=$?; stop; [ $status -eq 0 ] || { echo "--- demo output:" >&2; cat "$work/demo.log" >&2; }; kill -KILL -- -"$demo" 2>/dev/null; rm -rf "$work"' EXIT

# Waits for a line of the demo's output, or fails when the demo stops or the deadline passes.
await() { # pattern seconds what
  local deadline=$((SECONDS + $2))
  until grep -q -- "$1" "$work/demo.log"; do
    kill -0 "$demo" 2>/dev/null || fail "the demo stopped before $3"
    [ $SECONDS -lt $deadline ] || fail "no $3 within $2 s"
    sleep 0.2
  done
}
await 'Press Ctrl-C to stop' 300 "commands printed"
grep -q "upload page: http://127.0.0.1:$upload_port/" "$work/demo.log" || fail "the demo does not print the upload page's address"

id=$(sed -n 's/^CASE=//p' var/dev/demo.env)
[[ $id =~ ^C-[0-9]{8}-[0-9]{4}$ ]] || fail "var/dev/demo.env sets no CASE"
printed=$(sed -n '/^\. var\/dev\/demo\.env/,/^$/p' "$work/demo.log" | sed '/^$/d' | sed "s/$id/\$CASE/g")
readme=$(python3 -c '
import re
for block in re.findall(r"^```sh\n(.*?)^```", open("README.md").read(), re.S | re.M):
    if block.startswith(". var/dev/demo.env"):
        print(block, end="")
')
[ -n "$readme" ] || fail "README.md has no example block starting with . var/dev/demo.env"
[ "$printed" = "$readme" ] || fail "the demo prints other commands than README.md's example block:"$'\n'"$(diff <(echo "$readme") <(echo "$printed"))"

# The README's block as pasted into a new terminal: nothing of this shell's environment but HOME and a plain PATH.
env -i HOME="$HOME" PATH=/usr/local/bin:/usr/bin:/bin TERM=dumb bash -c \
  'set -e; trap '\''echo "check-demo: this README command failed: $BASH_COMMAND" >&2'\'' ERR
   '"$readme" >"$work/commands.log" 2>&1 || { cat "$work/commands.log" >&2; fail "a README command failed"; }
grep -q "responded" "$work/commands.log" || fail "the README's commands did not show the case responded"
await "verified: case.responded $id" 60 "verified case.responded webhook at the demo receiver"

stop
trap 'rm -rf "$work"' EXIT
[ "$demo_status" -eq 0 ] || fail "the demo exited $demo_status when stopped"
! kill -0 -- -"$demo" 2>/dev/null || fail "opined, opine-upload or the receiver outlived the demo"
grep -q 'BAD SIGNATURE' "$work/demo.log" && fail "the demo receiver saw a bad signature"
echo "check-demo: the demo printed the README's commands for $id, and each ran verbatim"
