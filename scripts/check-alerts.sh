#!/usr/bin/env bash
# Checks the shipped Prometheus alert rules: promtool's syntax check, their unit tests (deploy/prometheus/
# opine-alerts.test.yml), and that every opine_* metric a rule names is one Opine exports (a HELP line written in
# Sources/OpineStore; OperatorCommandsTests also holds the rules to a real `opine stats --prometheus`). Run by
# `make test`. promtool comes with Debian's prometheus package (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
rules=deploy/prometheus/opine-alerts.yml
tests=deploy/prometheus/opine-alerts.test.yml
command -v promtool >/dev/null || { echo "promtool is missing: apt-get install --no-install-recommends prometheus" >&2; exit 1; }
promtool check rules "$rules"
promtool test rules "$tests"
# Every family is declared by a literal name in the code that writes the metrics.
exported=$(grep -rhoE '"opine_[a-z0-9_]+"' Sources/OpineStore | tr -d '"' | sort -u)
used=$(grep -E '^\s*expr:' "$rules" | grep -oE 'opine_[a-z0-9_]+' | sort -u)
missing=$(comm -23 <(echo "$used") <(echo "$exported"))
if [ -n "$missing" ]; then
  echo "$rules uses metrics Opine does not export:" >&2
  echo "$missing" >&2
  exit 1
fi
echo "alert rules: $(echo "$used" | wc -l) metrics used, all exported"
