#!/usr/bin/env python3
"""Helps scripts/install-docs.sh turn swift-argument-parser's generate-manual output into clean pages.

  tidy-man.py dump-help [HELP] < DUMP.json > DUMP.json
                                                  the tool's --experimental-dump-help for generate-manual, which
                                                  drops every character past ASCII: each is written <U+2192>, for
                                                  `pages` to name; without the `help` subcommand ArgumentParser
                                                  adds to a command that has no other (opined), which would give
                                                  opined(8) a "subcommand" synopsis it does not have; and, given the
                                                  tool's --help text in the file HELP, a paragraph for each group
                                                  of subcommands it shows (CommandGroup), which the dump leaves out
  tidy-man.py pages [--see-also 'opined 8,...'] FILE...
                                                  rewrites each mdoc page in place so mandoc and groff read it without
                                                  a warning: <U+2192> named as \\[u2192] (groff then needs no
                                                  preconv); `code` quoted as code; a new line for each sentence;
                                                  blank lines made paragraph breaks, and none left before a list item;
                                                  with --see-also, a SEE ALSO section naming those pages

Only the presentation changes: every word comes from the command's own help."""
import json, re, sys

SENTENCE_END = re.compile(r"(?<!\b[A-Z][a-z]\.)(?<=[A-Za-z0-9)\]'\x22][.?!]) +(?=[A-Z])")
LIST_STARTS = (".It", ".El", ".Sh", ".Ss", ".Bl", ".Pp")


def ascii_tokens(value):
    """Every string in the dump with its characters past ASCII written as <U+XXXX>."""
    if isinstance(value, str):
        return "".join(c if ord(c) < 128 else f"<U+{ord(c):04X}>" for c in value)
    if isinstance(value, list):
        return [ascii_tokens(item) for item in value]
    if isinstance(value, dict):
        return {key: ascii_tokens(item) for key, item in value.items()}
    return value


def groups(help_text):
    """The subcommand groups of a --help text: ("Desk", ["list", ...]) for each "DESK SUBCOMMANDS:" section."""
    found = []
    for line in help_text.splitlines():
        header = re.fullmatch(r"([A-Z][A-Z ]*) SUBCOMMANDS:", line)
        if header:
            found.append((header.group(1).capitalize(), []))
        elif not line.strip() or not line.startswith(" "):
            if found and found[-1][1]:
                found.append(None)
        elif found and found[-1] is not None:
            entry = re.match(r"  ([a-z][a-z0-9-]*)(  |$)", line)
            if entry:
                found[-1][1].append(entry.group(1))
    return [group for group in found if group]


def dump_help(help_path=None):
    tool = json.load(sys.stdin)
    command = tool["command"]
    subcommands = command.get("subcommands") or []
    if all(sub.get("commandName") == "help" for sub in subcommands):
        command.pop("subcommands", None)
    if help_path:
        with open(help_path, encoding="utf-8") as handle:
            grouped = groups(handle.read())
        if grouped:
            listing = "\n\n".join(f"{name} commands: {', '.join(names)}." for name, names in grouped)
            command["discussion"] = (command.get("discussion") or "") + "\n\n" + listing
    json.dump(ascii_tokens(tool), sys.stdout)


def named(line):
    """<U+2192> (and any character past ASCII) as a roff special character."""
    line = "".join(c if ord(c) < 128 else f"<U+{ord(c):04X}>" for c in line)
    return re.sub(r"<U\+([0-9A-F]{4,6})>", r"\\[u\1]", line)


def text(line):
    line = named(line)
    line = re.sub(r"`([^`]+)`", r"\\(oq\1\\(cq", line)
    return SENTENCE_END.sub("\n", line).split("\n")


def tidy(lines):
    out = []
    for index, line in enumerate(lines):
        following = next((later for later in lines[index + 1:] if later.strip()), "")
        if not line.strip() or line == ".Pp":
            # A paragraph break only between paragraphs: not first in a block, not before a list item or a heading.
            if out and not out[-1].startswith(LIST_STARTS) and not following.startswith(LIST_STARTS):
                out.append(".Pp")
        elif line.startswith((".", "'")):
            out.append(named(line))
        else:
            out.extend(text(line))
    return out


def with_see_also(lines, references):
    """The page with a SEE ALSO section naming its own references and these, in the order mandoc expects (by
    section, then name); generate-manual gives a page with subcommands one already, always last."""
    names = {tuple(reference.split()) for reference in references.split(",") if reference.strip()}
    if ".Sh SEE ALSO" in lines or '.Sh "SEE ALSO"' in lines:
        start = max(lines.index(title) for title in (".Sh SEE ALSO", '.Sh "SEE ALSO"') if title in lines)
        names |= {tuple(line.split()[1:3]) for line in lines[start:] if line.startswith(".Xr ")}
        lines = lines[:start]
    ordered = sorted(names, key=lambda name: (int(name[1]), name[0]))
    return lines + [".Sh SEE ALSO"] + [f".Xr {name} {section}" + (" ," if index < len(ordered) - 1 else "")
                                       for index, (name, section) in enumerate(ordered)]


def pages(arguments):
    references = ""
    if arguments[:1] == ["--see-also"]:
        references, arguments = arguments[1], arguments[2:]
    for path in arguments:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().rstrip("\n").split("\n")
        tidied = tidy(lines)
        if references:
            tidied = with_see_also(tidied, references)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("\n".join(tidied) + "\n")


if __name__ == "__main__":
    if sys.argv[1:2] == ["dump-help"]:
        dump_help(*sys.argv[2:3])
    elif sys.argv[1:2] == ["pages"]:
        pages(sys.argv[2:])
    else:
        sys.exit(__doc__)
