#!/usr/bin/env python3
"""Rewrites the KEYS section of packaging/man/healthhost.yaml.5 from docs/configuration.md's
"Configuration reference" table, one .TP entry per row: after a change to that table,
run `packaging/man/config-reference.py` and commit both files. PackageTests checks
that the installed page names every key of the table with its default.
"""
import pathlib
import re

root = pathlib.Path(__file__).resolve().parents[2]
page = root / "packaging/man/healthhost.yaml.5"
readme = (root / "docs/configuration.md").read_text(encoding="utf-8")
table = readme.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]

GROUPS = {
    "listen": "Listening", "auth": "Authentication", "plugins": "Plugins", "checks": "Checks",
    "engine": "Engine", "http": "HTTP server and dialects", "service": "Service", "logging": "Logging",
}
# README points to its own sections; a man page says it in place.
REWRITES = [
    ('Plugin files and folders (see "How the host loads plugins").',
     "Plugin files and folders.\nA file is loaded whatever its name; in a folder, only the regular files named\n"
     ".B hh\\-*.so\nor\n.B libhh\\-*.so\nare plugins (other files and sub-folders are ignored)."),
    ('See "Isolation".',
     "An isolated plugin that crashes, exits or hangs fails its own checks and is restarted; the host keeps serving."),
    (" (see bench/README.md)", ""),
    (" (see Metrics)", " of the checks, requests, plugins and exported spans"),
    (' (see "Redaction")', " (every other value is shown as ********)"),
    ("Oarepo-heartbeat's endpoints.", "The endpoints of oarepo-heartbeat."),
]


def roff(text):
    """Markdown inline text as man(7) text: code and bold in bold, links as their text."""
    text = text.replace("\\", "\\e")
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", text)
    text = re.sub(r"`([^`]+)`", lambda m: "\\fB" + m.group(1).replace("-", "\\-") + "\\fR", text)
    for character, escape in {"×": "\\(mu", "–": "\\(en", "→": "\\(->", "±": "\\(+-"}.items():
        text = text.replace(character, escape)
    return text


lines = []
group = None
for row in (line for line in table.splitlines() if line.startswith("| `")):
    key, default, meaning = [cell.strip() for cell in row.strip().strip("|").split(" | ")]
    first = re.match(r"`([a-z_]+)", key).group(1)
    if first != group:
        group = first
        lines.append(".SS " + GROUPS[first])
    lines.append(".TP")
    tag = roff(key)
    if default == "required":
        tag += " (required)"
    elif default not in ("–", "-", "—"):
        tag += " (default: " + roff(default) + ")"
    lines.append(tag)
    text = roff(meaning)
    text = text[0].upper() + text[1:]
    if not text.endswith("."):
        text += "."
    lines.append(re.sub(r"([a-z0-9)]\.) (?=[A-Z\\])", r"\1\n", text))  # a sentence a line
keys = "\n".join(lines) + "\n"
for old, new in REWRITES:
    keys = keys.replace(old, new)

source = page.read_text(encoding="utf-8")
head, rest = source.split(".SH KEYS\n", 1)
tail = rest[rest.index(".SH ENVIRONMENT\n"):]
page.write_text(head + ".SH KEYS\n" + keys + tail, encoding="utf-8")
