#!/usr/bin/env bash
# Checks the manual pages and shell completions that scripts/install-docs.sh generates, installed into a temporary
# root from the debug build: every opine subcommand (nested ones included, listed by `opine --experimental-dump-help`)
# has its page and appears in the bash, zsh and fish completions; `opine --help` shows each in a group, and opine(1)
# lists the groups; every setting of Config/opine.toml has its entry in opine.toml(5); mandoc (else groff) reads every
# page without a warning; and each completion script parses in its shell, where that shell is installed. Run by
# `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "check-docs: $*" >&2; exit 1; }
bin=$(swift build --show-bin-path)
[ -x "$bin/opine" ] && [ -x "$bin/opined" ] && [ -x "$bin/opine-upload" ] || fail "build first: swift build"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scripts/install-docs.sh "$work/root" /usr "$bin" >/dev/null
share="$work/root/usr/share"
man1="$share/man/man1"
bash_script="$share/bash-completion/completions/opine"
zsh_script="$share/zsh/site-functions/_opine"
fish_script="$share/fish/vendor_completions.d/opine.fish"
for file in "$man1/opine.1" "$share/man/man5/opine.toml.5" "$share/man/man8/opined.8" "$share/man/man8/opine-upload.8" \
  "$bash_script" "$zsh_script" "$fish_script" "$share/bash-completion/completions/opine-upload" \
  "$share/zsh/site-functions/_opine-upload" "$share/fish/vendor_completions.d/opine-upload.fish"; do
  [ -s "$file" ] || fail "install-docs.sh did not write ${file#"$work/root"}"
done

# Every subcommand path ("list", "endpoints enable"), from the code itself; help is ArgumentParser's own.
"$bin/opine" --experimental-dump-help | python3 -c '
import json, sys
def walk(command, path):
    for sub in command.get("subcommands") or []:
        if sub["commandName"] != "help":
            print(" ".join(path + [sub["commandName"]]))
            walk(sub, path + [sub["commandName"]])
walk(json.load(sys.stdin)["command"], [])
' >"$work/subcommands"
[ "$(wc -l <"$work/subcommands")" -ge 20 ] || fail "opine --experimental-dump-help listed too few subcommands"

help=$("$bin/opine" --help)
grep -q '^SUBCOMMANDS:' <<<"$help" && fail "opine --help lists subcommands outside a group (add them to a CommandGroup in Sources/opine/Opine.swift)"
while read -r group; do
  grep -qi "^$group commands:" "$man1/opine.1" || fail "opine.1 does not list the $group group of opine --help"
done < <(sed -n 's/^\([A-Z][A-Z ]*\) SUBCOMMANDS:$/\1/p' <<<"$help")
while read -r path; do
  page="$man1/opine.${path// /.}.1"
  [ -f "$page" ] || fail "no manual page for opine $path (expected ${page#"$work/root"})"
  grep -q "^\.Nm \"\{0,1\}opine $path\"\{0,1\}\$" "$page" || fail "${page##*/} does not name opine $path"
  leaf=${path##* } function="_opine_${path// /_}"
  grep -q "^\.It Em $leaf\$" "$man1/opine.1" || fail "opine.1 has no item for opine $path"
  grep -q "^${function}()" "$bash_script" || fail "the bash completion has no ${function} for opine $path"
  grep -q "^${function}()" "$zsh_script" || fail "the zsh completion has no ${function} for opine $path"
  grep -q -- "-fa '$leaf'" "$fish_script" || fail "the fish completion does not offer opine $path"
  [ "${path// /}" != "$path" ] || grep -q "^  $path\( \|\$\)" <<<"$help" || fail "opine --help does not list $path"
done <"$work/subcommands"

# opine.toml(5): an entry for every setting the shipped file has.
while read -r key; do
  grep -q "^\.It Cm $key\( \|\$\)\|, Cm $key\( \|\$\)" "$share/man/man5/opine.toml.5" || fail "opine.toml(5) has no entry for $key"
done < <(sed -n 's/^\([a-z_][a-z0-9_.-]*\) *=.*/\1/p' Config/opine.toml)
grep -q -- '--config' "$share/man/man8/opined.8" || fail "opined(8) does not mention --config"
for option in config assets check-config; do
  grep -q -- "^\.It Fl -$option\( \|\$\)" "$share/man/man8/opine-upload.8" || fail "opine-upload(8) does not describe --$option"
  grep -q -- "--$option" "$share/bash-completion/completions/opine-upload" || fail "the opine-upload bash completion lacks --$option"
done

pages=("$man1"/*.1 "$share/man/man5/opine.toml.5" "$share/man/man8/opined.8" "$share/man/man8/opine-upload.8")
if command -v mandoc >/dev/null; then
  output=$(mandoc -T lint -W warning "${pages[@]}" 2>&1) || fail "mandoc -T lint found problems:"$'\n'"$output"
elif command -v groff >/dev/null; then
  for page in "${pages[@]}"; do
    output=$(groff -mandoc -z -ww "$page" 2>&1)
    [ -z "$output" ] || fail "groff warns about ${page##*/}:"$'\n'"$output"
  done
else
  fail "neither mandoc nor groff is installed (scripts/install-deps.sh installs mandoc)"
fi

bash -n "$bash_script" || fail "the bash completion does not parse"
! command -v zsh >/dev/null || zsh -n "$zsh_script" || fail "the zsh completion does not parse"
! command -v fish >/dev/null || fish --no-execute "$fish_script" || fail "the fish completion does not parse"
bash -n "$share/bash-completion/completions/opine-upload" || fail "the opine-upload bash completion does not parse"
! command -v zsh >/dev/null || zsh -n "$share/zsh/site-functions/_opine-upload" || fail "the opine-upload zsh completion does not parse"
echo "check-docs: $(wc -l <"$work/subcommands") subcommands, each with its page and completions; ${#pages[@]} pages lint clean"
