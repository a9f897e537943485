#!/usr/bin/env bash
# Rules about the sources that the compiler cannot keep. Run first by `make test` (it takes no time).
#
# No stdlib `Mutex`: Thread Sanitizer cannot see its futex on Linux, so `make tsan` reports the accesses it guards as
# races whenever two threads contend, now and then, which makes the sanitizer run flaky and hides real races behind
# noise. Use OpineCore's `Locked`, a pthread lock the sanitizer understands.
set -euo pipefail
cd "$(dirname "$0")/.."
if found=$(grep -rnE '\bMutex *[<(]' --include='*.swift' Sources Tests); then
    echo "check-source: the stdlib Mutex is used; use OpineCore's Locked instead (Thread Sanitizer cannot see Mutex):" >&2
    echo "$found" >&2
    exit 1
fi
echo "check-source: ok"
