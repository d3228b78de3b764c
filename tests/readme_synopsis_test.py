#!/usr/bin/env python3
"""readme_synopsis_test.py BENCH README: the README's command synopsis (the
first fenced block under "## Command line") and each subcommand's --help name
the same options. A flag the CLI accepts that the synopsis leaves out, or one
the synopsis shows that the CLI does not know, fails with its name.
Exit 0 if they agree, 1 otherwise."""
import re
import subprocess
import sys

BENCH, README = sys.argv[1:3]

with open(README) as f:
    text = f.read()
section = text.split("## Command line", 1)[1]
block = section.split("```", 2)[1]

# The synopsis: "tmpmc-bench CMD ..." starts a command; indented lines go on.
synopsis = {}
command = None
for line in block.splitlines():
    m = re.match(r"tmpmc-bench (\w+)", line)
    if m:
        command = m.group(1)
        synopsis[command] = set()
    if command is None:
        continue
    synopsis[command] |= set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", line))

help_text = subprocess.run([BENCH, "--help"], capture_output=True, text=True).stdout
commands = re.findall(r"^  (\w+) {2,}", help_text.split("Subcommands:", 1)[1], re.M)
failures = []
if sorted(commands) != sorted(synopsis):
    failures.append(f"subcommands: the CLI has {sorted(commands)}, the synopsis {sorted(synopsis)}")

for command in commands:
    out = subprocess.run([BENCH, command, "--help"], capture_output=True, text=True).stdout
    options = out.split("Options:", 1)[1] if "Options:" in out else ""
    # "  -o,--output TEXT=-   ..." -> long name --output, short -o.
    long_of = {}
    for m in re.finditer(r"^\s+((?:-\w,)?--[\w-]+)", options, re.M):
        names = m.group(1).split(",")
        long_name = names[-1]
        for name in names:
            long_of[name] = long_name
    cli = {name for name in long_of.values() if name != "--help"}
    shown = set()
    for token in synopsis.get(command, set()):
        if token not in long_of:
            failures.append(f"{command}: the synopsis shows {token}, which the CLI does not accept")
        else:
            shown.add(long_of[token])
    for missing in sorted(cli - shown):
        failures.append(f"{command}: the CLI accepts {missing}, which the synopsis does not show")

for failure in failures:
    print("FAIL " + failure, file=sys.stderr)
if failures:
    sys.exit(1)
print(f"ok: the synopsis and --help agree on {len(commands)} subcommands")
