#!/usr/bin/env python3
"""Writes the opine.toml(5) manual page (mdoc) from the comments of Config/opine.toml, so the page says exactly what
the shipped file says and cannot drift from it.

Usage: scripts/opine-toml-man.py [--date YYYY-MM-DD] [CONFIG] > opine.toml.5

The file's shape is what this reads: a header comment (the DESCRIPTION); then tables ([paths], [intake], ...), each
setting preceded by the comment that explains it (settings with no comment between them share the one above); a
comment block with no setting after it (the endpoints) becomes a subsection of its own. In comments, a paragraph
of lines indented past "# " or of TOML lines is shown as written (a literal display), and `code` is set as code."""
import argparse, datetime, os, re, sys, textwrap

PUNCTUATION = tuple(".,;:)]")


def roff(text):
    """Backslashes escaped, and every character past ASCII named (\\[u2026]) so groff reads it without preconv."""
    return "".join(c if ord(c) < 128 else f"\\[u{ord(c):04X}]" for c in text.replace("\\", "\\e"))


def escape(text):
    """Text for a roff line: no control character at the start, no leading blanks."""
    text = roff(text).strip()
    return "\\&" + text if text.startswith((".", "'")) else text


def quoted(text):
    """One macro argument, quoted so blanks stay inside it."""
    return '"' + roff(text).replace('"', '\\(dq') + '"'


def text_lines(text):
    """Running text as roff lines: a new line for each sentence (so roff spaces sentences), wrapped under 80."""
    out = []
    for sentence in re.split(r"(?<!Dr\.)(?<=[.?!])\s+(?=[A-Z0-9(\"])", text.strip()):
        out += [escape(line).replace("Dr. ", "Dr.\\& ") for line in textwrap.wrap(sentence, 78, break_long_words=False, break_on_hyphens=False)]
    return out


def prose(text):
    """A paragraph of running text, with each `code` span set by .Ql; punctuation on either side is kept against it."""
    out, rest = [], text
    while "`" in rest:
        before, _, after = rest.partition("`")
        code, closed, after = after.partition("`")
        if not closed:
            break
        lead = ""
        if before and not before[-1].isspace():
            before, _, lead = before.rpartition(" ")
        out += text_lines(before)
        trail = ""
        while after[:1] and after[0] in PUNCTUATION:
            trail, after = trail + " " + after[0], after[1:]
        out.append((f".No \\&{escape(lead)} Ns Ql " if lead else ".Ql ") + quoted(code) + trail)
        rest = after
    return out + text_lines(rest)


def is_literal(lines):
    """A paragraph shown as written: indented lines (a table of keys) or TOML (an example)."""
    return all(line.startswith("  ") or line.startswith("[") or re.match(r"^[\w.-]+ = ", line) for line in lines)


def paragraphs(comment):
    """A comment block's lines (without "# ") split at empty lines, each paragraph then split into literal and prose
    runs, so a sentence leading into an indented table stays prose and the table stays literal."""
    out, current = [], []
    for line in comment + [""]:
        if line.strip():
            current.append(line)
            continue
        runs = []
        for item in current:
            literal = is_literal([item])
            if runs and runs[-1][0] == literal:
                runs[-1][1].append(item)
            else:
                runs.append((literal, [item]))
        out += [("literal" if literal else "prose", lines) for literal, lines in runs]
        current = []
    return out


def render(comment):
    """mdoc for a comment block."""
    out = []
    for number, (kind, lines) in enumerate(paragraphs(comment)):
        if number and kind != "literal":
            out.append(".Pp")
        if kind == "literal":
            indent = min(len(line) - len(line.lstrip()) for line in lines)
            out.append(".Bd -literal -offset indent")
            out.extend(escape_literal(line[indent:]) for line in lines)
            out.append(".Ed")
        else:
            out.extend(prose(" ".join(line.strip() for line in lines)))
    return out


def escape_literal(line):
    line = roff(line).rstrip()
    return "\\&" + line if line.startswith((".", "'")) else line


def parse(text):
    """The header comment, then each table as (name, [(keys with values, comment)], trailing comment)."""
    header, tables, comment = [], [], []
    seen_content = False
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith("#"):
            comment.append(line[2:] if line.startswith("# ") else line[1:])
        elif not line.strip():
            if not seen_content and comment:
                header, comment = comment, []
            elif comment and comment[-1] != "":
                comment.append("")
        elif line.startswith("["):
            seen_content = True
            if comment and tables:
                tables[-1][2].extend(comment)
            comment = []
            tables.append((line.strip("[] "), [], []))
        else:
            seen_content = True
            key, _, value = line.partition("=")
            entries = tables[-1][1]
            if comment or not entries:
                entries.append(([], comment))
            entries[-1][0].append((key.strip(), value.strip()))
            comment = []
    if comment and tables:
        tables[-1][2].extend(comment)
    return header, tables


def page(text, date):
    header, tables = parse(text)
    out = [
        f".Dd {date.strftime('%B %-d, %Y')}",
        ".Dt OPINE.TOML 5",
        ".Os",
        ".Sh NAME",
        ".Nm opine.toml",
        ".Nd configuration of the Opine daemon and command",
        ".Sh SYNOPSIS",
        ".Pa /etc/opine/opine.toml",
        ".Sh DESCRIPTION",
    ]
    # The header's first line only names the format; the rest describes the file.
    body = header[1:] if header and header[0].lower().startswith("opine configuration") else header
    out += render(body)
    out += [".Pp", "The settings, table by table, each with its shipped value:"]
    for name, entries, trailing in tables:
        out += [f".Ss [{name}\\&]"]
        if entries:
            out.append(".Bl -tag -width Ds")
            for keys, comment in entries:
                if len(keys) == 1:
                    out.append(f".It Cm {keys[0][0]} Li = {quoted(keys[0][1])}")
                else:
                    # Settings sharing one explanation: named together, their shipped values shown as written.
                    out.append(".It Cm " + " , Cm ".join(key for key, _ in keys))
                    out += [".Bd -literal -offset indent"] + [escape_literal(f"{k} = {v}") for k, v in keys] + [".Ed"]
                out += render(comment)
            out.append(".El")
        while trailing and not trailing[-1].strip():
            trailing.pop()
        if trailing:
            out += [".Pp"] if entries else []
            out += render(trailing)
    out += [
        ".Sh FILES",
        ".Bl -tag -width Ds",
        ".It Pa /etc/opine/opine.toml",
        "The configuration read when neither",
        ".Fl -config",
        "nor",
        ".Ev OPINE_CONFIG",
        "names another.",
        ".El",
        ".Sh SEE ALSO",
        ".Xr opine 1 ,",
        ".Xr opined 8",
    ]
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("config", nargs="?", default=os.path.join(os.path.dirname(__file__), "..", "Config", "opine.toml"))
    parser.add_argument("--date", help="the page's date, YYYY-MM-DD (default: SOURCE_DATE_EPOCH, else today)")
    arguments = parser.parse_args()
    if arguments.date:
        date = datetime.date.fromisoformat(arguments.date)
    elif os.environ.get("SOURCE_DATE_EPOCH"):
        date = datetime.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), datetime.timezone.utc).date()
    else:
        date = datetime.date.today()
    with open(arguments.config, encoding="utf-8") as handle:
        sys.stdout.write(page(handle.read(), date))


if __name__ == "__main__":
    main()
