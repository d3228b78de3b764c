#!/usr/bin/env python3
"""not_built_test.py: docs/DESIGN.md's "Not built" list against the code.

  not_built_test.py SOURCE_DIR [--plant-row ROW | --plant-line LINE]

Fails (exit 1, one line per finding) when
  - an identifier a "Not built" row names (in backticks, its second column)
    appears as a word in a file under src/: the feature is built, or begun,
    and the list says otherwise;
  - "not built" is said of anything in docs/DESIGN.md or README.md outside
    that section: the list is the one place;
  - the section is missing, or a row names no identifier (it could never fail).
--plant-row appends ROW to the table, --plant-line appends LINE to the end
of the README, each in a copy: the suite checks that both fail.
"""
import os
import re
import sys

SECTION = "## Not built"
SOURCE_SUFFIXES = (".h", ".hpp", ".cpp", ".cc", ".txt", ".cmake", ".json")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def not_built_rows(design):
    """The section's table rows as (feature, [identifiers]), and its text."""
    start = design.find("\n" + SECTION + "\n")
    if start < 0:
        return None, ""
    body = design[start + 1:]
    end = body.find("\n## ", len(SECTION))
    section = body if end < 0 else body[:end]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 2 or set(cells[0]) <= set("-: "):
            continue
        if cells[0] == "feature":
            continue  # the heading row
        rows.append((cells[0], re.findall(r"`([^`]+)`", cells[1])))
    return rows, section


def source_words(root):
    """{word: first file} over every source file under src/."""
    words = {}
    for folder, _, files in os.walk(os.path.join(root, "src")):
        for name in files:
            if not name.endswith(SOURCE_SUFFIXES):
                continue
            path = os.path.join(folder, name)
            for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", read(path)):
                words.setdefault(word, os.path.relpath(path, root))
    return words


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    root = args.pop(0)
    design = read(os.path.join(root, "docs", "DESIGN.md"))
    readme = read(os.path.join(root, "README.md"))
    if args[:1] == ["--plant-row"] and len(args) == 2:
        design = design.rstrip("\n") + "\n" + args[1] + "\n"
    elif args[:1] == ["--plant-line"] and len(args) == 2:
        readme = readme.rstrip("\n") + "\n\n" + args[1] + "\n"
    elif args:
        print(f"not_built_test.py: unknown arguments {args}", file=sys.stderr)
        return 2

    findings = []
    rows, section = not_built_rows(design)
    if rows is None:
        findings.append(f'docs/DESIGN.md: no "{SECTION}" section')
        rows = []
    words = source_words(root)
    for feature, identifiers in rows:
        if not identifiers:
            findings.append(f'docs/DESIGN.md: "Not built" row "{feature}" names no identifier')
        for identifier in identifiers:
            if identifier in words:
                findings.append(f'docs/DESIGN.md lists "{feature}" as not built, but '
                                f'{words[identifier]} has `{identifier}`')
    outside = {"docs/DESIGN.md": design.replace(section, ""), "README.md": readme}
    for name, text in outside.items():
        for number, line in enumerate(text.splitlines(), 1):
            # "Not built" as a reference to the section is fine; a claim is not.
            if re.search(r"not (yet )?built", line, re.IGNORECASE) and '"Not built"' not in line:
                findings.append(f'{name}: "not built" outside the list (docs/DESIGN.md, '
                                f'"{SECTION[3:]}"): {line.strip()}')
    for finding in findings:
        print(finding)
    if findings:
        return 1
    print(f"not_built_test.py: {len(rows)} features not built, none of them in src/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
