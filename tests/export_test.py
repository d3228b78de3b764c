#!/usr/bin/env python3
"""export_test.py BENCH SOURCE WORK CHECK: `tmpmc-bench export` read back by
the parsers of the tools that consume each format (csv, a Markdown table
split, xml.etree, json, compare.py, the hgrm grammar). CHECK is one of the
check_* functions below; each is a CTest test of its own. Input: the
committed results/quickstart.json and results/peers.json (names with
commas and brackets), and a failing copy made here (a lost message, an
expectation missed, a name with characters that need escaping)."""
import copy
import csv
import io
import json
import math
import os
import re
import stat
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET

BENCH, SOURCE, WORK, CHECK = sys.argv[1:5]
QUICKSTART = os.path.join(SOURCE, "results", "quickstart.json")
PEERS = os.path.join(SOURCE, "results", "peers.json")
COMPARE_PY = "/usr/share/benchmark/compare.py"
SKIP = 77


def fail(message):
    sys.exit("export_test: " + message)


def export(*args, expect=0):
    # Bytes decoded by hand: text=True would turn CSV's \r\n into \n.
    done = subprocess.run([BENCH, "export", *args], capture_output=True)
    done.stdout, done.stderr = done.stdout.decode(), done.stderr.decode()
    if done.returncode != expect:
        fail(f"export {' '.join(args)}: exit {done.returncode}, expected {expect}: {done.stderr}")
    return done


def load(path):
    with open(path) as f:
        return json.load(f)


def failing_result():
    """quickstart.json with its second scenario failed and renamed."""
    doc = copy.deepcopy(load(QUICKSTART))
    s = doc["scenarios"][1]
    s["name"] = 'mpmc "4x4", <a&b> | c'
    s["verdict"] = "fail"
    s["failures"] = ["lost: 3 messages (producer 1, seq 7..9)", "expect.max_p99_ns: p99 221.7us is above 100us"]
    s["runs"][0]["lost"] = 3
    path = os.path.join(WORK, "failing.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    return path, doc


def expected_row(s):
    c = s["config"]
    return {
        "scenario": s["name"],
        "shape": f'{c["producers"]["count"]}p:{c["consumers"]["count"]}c',
        "capacity": c["queue"]["capacity"],
        "workers": c["runtime"]["workers"],
        "placement": c["runtime"].get("placement", "local"),
        "impl": s.get("impl", c["queue"]["impl"]),
        "median": s["summary"]["msgs_per_sec"]["median"],
        "min": s["summary"]["msgs_per_sec"]["min"],
        "max": s["summary"]["msgs_per_sec"]["max"],
        "p50": s["summary"]["latency_ns"]["p50"],
        "p99": s["summary"]["latency_ns"]["p99"],
        "p999": s["summary"]["latency_ns"]["p999"],
        "verdict": s["verdict"],
    }


def check_csv():
    path, doc = failing_result()
    for source, result in ((path, doc), (PEERS, load(PEERS))):
        rows = list(csv.DictReader(io.StringIO(export(source, "--format", "csv").stdout, newline="")))
        if len(rows) != len(result["scenarios"]):
            fail(f"csv of {source}: {len(rows)} rows for {len(result['scenarios'])} scenarios")
        for row, s in zip(rows, result["scenarios"]):
            want = expected_row(s)
            got = {
                "scenario": row["scenario"], "shape": row["shape"], "capacity": int(row["capacity"]),
                "workers": int(row["workers"]), "placement": row["placement"], "impl": row["impl"],
                "median": float(row["msgs_per_sec_median"]), "min": float(row["msgs_per_sec_min"]),
                "max": float(row["msgs_per_sec_max"]), "p50": float(row["p50_ns"]),
                "p99": float(row["p99_ns"]), "p999": float(row["p999_ns"]), "verdict": row["verdict"],
            }
            if got != want:
                fail(f"csv row {got} != {want}")


def markdown_cells(line):
    """The cells of a Markdown table row: split on | not escaped as \\|."""
    if not (line.startswith("|") and line.endswith("|")):
        fail(f"not a table row: {line!r}")
    cells = re.split(r"(?<!\\)\|", line[1:-1])
    return [c.strip().replace("\\|", "|") for c in cells]


def check_markdown():
    path, doc = failing_result()
    lines = export(path, "--format", "markdown").stdout.splitlines()
    header, rule, body = markdown_cells(lines[0]), markdown_cells(lines[1]), lines[2:]
    if header[:6] != ["scenario", "shape", "capacity", "workers", "placement", "impl"] or \
            header[-1] != "verdict":
        fail(f"markdown header: {header}")
    if len(rule) != len(header) or not all(re.fullmatch(r":?-+:?", c) for c in rule):
        fail(f"markdown separator row: {lines[1]!r}")
    if len(body) != len(doc["scenarios"]):
        fail(f"markdown: {len(body)} rows for {len(doc['scenarios'])} scenarios")
    for line, s in zip(body, doc["scenarios"]):
        cells = dict(zip(header, markdown_cells(line)))
        want = expected_row(s)
        if cells["scenario"] != want["scenario"] or cells["verdict"] != want["verdict"]:
            fail(f"markdown row {cells} for {want}")
        if abs(float(cells["median (M msgs/s)"]) - want["median"] / 1e6) > 0.005:
            fail(f"markdown median {cells['median (M msgs/s)']} for {want['median']}")
        if abs(float(cells["p99 (us)"]) - want["p99"] / 1e3) > 0.05:
            fail(f"markdown p99 {cells['p99 (us)']} for {want['p99']}")


def check_junit():
    path, doc = failing_result()
    root = ET.fromstring(export(path, "--format", "junit").stdout)
    suites = root.findall("testsuite")
    cases = root.findall("testsuite/testcase")
    if root.tag != "testsuites" or len(suites) != 1 or len(cases) != len(doc["scenarios"]):
        fail(f"junit: {len(suites)} suites, {len(cases)} cases for {len(doc['scenarios'])} scenarios")
    if suites[0].get("tests") != str(len(cases)) or suites[0].get("failures") != "1":
        fail(f"junit suite counts: {suites[0].attrib}")
    for case, s in zip(cases, doc["scenarios"]):
        failure = case.find("failure")
        if case.get("name") != s["name"]:
            fail(f"junit case name {case.get('name')!r} for {s['name']!r}")
        if s["verdict"] == "pass" and failure is not None:
            fail(f"junit: passing {s['name']} has a failure")
        if s["verdict"] == "fail":
            if failure is None or failure.get("message") != "; ".join(s["failures"]):
                fail(f"junit: failing {s['name']}: {None if failure is None else failure.attrib}")
            if failure.text.splitlines() != s["failures"]:
                fail(f"junit failure text {failure.text!r}")


def check_gbench():
    doc = load(QUICKSTART)
    out = json.loads(export(QUICKSTART, "--format", "gbench").stdout)
    context = out["context"]
    for key, value in (("date", doc["started_at"]), ("num_cpus", doc["host"]["cpus"]),
                       ("library_build_type", doc["tool"]["build"]), ("tmpmc_git", doc["tool"]["git"])):
        if context.get(key) != value:
            fail(f"gbench context.{key}: {context.get(key)!r}, expected {value!r}")
    if "host_name" not in context:
        fail("gbench context has no host_name")
    for s in doc["scenarios"]:
        runs = [b for b in out["benchmarks"] if b["name"] == s["name"]]
        if [b["repetition_index"] for b in runs] != list(range(len(s["runs"]))):
            fail(f"gbench: runs of {s['name']}: {runs}")
        for b, run in zip(runs, s["runs"]):
            if b["run_type"] != "iteration" or b["time_unit"] != "ns":
                fail(f"gbench entry {b}")
            if abs(b["items_per_second"] - run["msgs_per_sec"]) > 1e-6 * run["msgs_per_sec"]:
                fail(f"gbench items_per_second {b['items_per_second']} for {run['msgs_per_sec']}")
            if abs(b["real_time"] * run["msgs_per_sec"] - 1e9) > 1:
                fail(f"gbench real_time {b['real_time']} is not ns per message")
            if b["latency_p99_ns"] != run["latency_ns"]["p99"]:
                fail(f"gbench latency_p99_ns {b['latency_p99_ns']}")
        median = next(b for b in out["benchmarks"] if b["name"] == s["name"] + "_median")
        if median["run_type"] != "aggregate" or median["aggregate_name"] != "median" or \
                abs(median["items_per_second"] - s["summary"]["msgs_per_sec"]["median"]) > 1e-3:
            fail(f"gbench median aggregate {median}")


def check_gbench_compare():
    """compare.py (libbenchmark-tools) reads two exports: BASE and BASE 20% slower."""
    if not os.path.exists(COMPARE_PY):
        print("compare.py not installed (libbenchmark-tools): skipped")
        sys.exit(SKIP)
    python = "/usr/bin/python3"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (os.environ.get("TMPMC_PYTHONPATH", ""), os.environ.get("PYTHONPATH", "")) if p))
    if subprocess.run([python, "-c", "import scipy"], env=env, capture_output=True).returncode != 0:
        print("compare.py needs scipy, which is missing (see scripts/setup): skipped")
        sys.exit(SKIP)
    slower = copy.deepcopy(load(QUICKSTART))
    for s in slower["scenarios"]:
        for run in s["runs"]:
            run["msgs_per_sec"] *= 0.8
    slower_path = os.path.join(WORK, "slower.json")
    with open(slower_path, "w") as f:
        json.dump(slower, f)
    a, b = os.path.join(WORK, "a.gbench.json"), os.path.join(WORK, "b.gbench.json")
    export(QUICKSTART, "--format", "gbench", "-o", a)
    export(slower_path, "--format", "gbench", "-o", b)
    done = subprocess.run([python, COMPARE_PY, "--no-color", "benchmarks", a, b], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        fail(f"compare.py exit {done.returncode}: {done.stderr}")
    print(done.stdout)
    for s in load(QUICKSTART)["scenarios"]:
        # 20% fewer msgs/s is 25% more time per message: compare.py prints +0.2500.
        line = next((l for l in done.stdout.splitlines() if l.split() and l.split()[0] == s["name"]), None)
        if line is None or "+0.2500" not in line:
            fail(f"compare.py: no +0.2500 row for {s['name']}: {line!r}")


def check_hgrm():
    doc = load(QUICKSTART)
    s = doc["scenarios"][0]
    text = export(QUICKSTART, "--format", "hgrm", "--scenario", s["name"]).stdout
    lines = text.splitlines()
    if lines[0].split() != ["Value", "Percentile", "TotalCount", "1/(1-Percentile)"] or lines[1] != "":
        fail(f"hgrm header: {lines[:2]}")
    rows = [l.split() for l in lines[2:] if not l.startswith("#")]
    footer = "\n".join(l for l in lines if l.startswith("#"))
    points = s["summary"]["latency_percentiles"]
    total = sum(r["latency_ns"]["samples"] for r in s["runs"])
    if len(rows) != len(points):
        fail(f"hgrm: {len(rows)} rows for {len(points)} percentiles")
    for row, (percentile, value) in zip(rows, points):
        if abs(float(row[0]) * 1e6 - value) > 0.5 or abs(float(row[1]) - percentile / 100) > 1e-12:
            fail(f"hgrm row {row} for [{percentile}, {value}]")
        if int(row[2]) != math.floor(percentile / 100 * total + 0.5):  # llround: halves away from 0
            fail(f"hgrm count {row[2]} at {percentile}% of {total}")
        if percentile < 100 and abs(float(row[3]) - 1 / (1 - percentile / 100)) > 0.01:
            fail(f"hgrm 1/(1-p) {row[3]} at {percentile}%")
        if percentile == 100 and len(row) != 3:
            fail(f"hgrm last row has {len(row)} columns: {row}")
    m = re.fullmatch(r"#\[Mean    = +([\d.]+), StdDeviation   = +([\d.]+)\]\n"
                     r"#\[Max     = +([\d.]+), Total count    = +(\d+)\]\n"
                     r"#\[Buckets = +(\d+), SubBuckets     = +(\d+)\]", footer)
    if not m or int(m.group(4)) != total:
        fail(f"hgrm footer: {footer!r}")
    if abs(float(m.group(3)) * 1e6 - max(r["latency_ns"]["max"] for r in s["runs"])) > 0.5:
        fail(f"hgrm max {m.group(3)}")
    # Several scenarios and no --scenario: one line naming them, exit 2.
    done = export(QUICKSTART, "--format", "hgrm", expect=2)
    if done.stderr.count("\n") != 1 or s["name"] not in done.stderr:
        fail(f"hgrm of several scenarios: {done.stderr!r}")


def one_line_error(args, *needles):
    done = export(*args, expect=2)
    if done.stdout or done.stderr.count("\n") != 1 or not all(n in done.stderr for n in needles):
        fail(f"export {' '.join(args)}: expected one line naming {needles}, got {done.stderr!r}")


def check_errors():
    one_line_error([QUICKSTART, "--format", "yaml"], "yaml", "gbench, csv, markdown, junit, hgrm")
    missing = os.path.join(WORK, "missing.json")
    one_line_error([missing, "--format", "csv"], missing)
    other = os.path.join(WORK, "other.json")
    with open(other, "w") as f:
        json.dump({"schema": "something/else", "scenarios": []}, f)
    one_line_error([other, "--format", "csv"], other, "schema")
    broken = os.path.join(WORK, "broken.json")
    with open(broken, "w") as f:
        f.write('{"schema": "tmpmc-bench/result/v1", "scenarios": [{"name": "x"}]}')
    one_line_error([broken, "--format", "csv"], broken, "scenarios[0].")
    unwritable = os.path.join(WORK, "no-such-dir", "out.csv")
    one_line_error([QUICKSTART, "--format", "csv", "-o", unwritable], unwritable)
    one_line_error([QUICKSTART, "--format", "csv", "--scenario", "nope"], "nope", "spsc")

    # -o - and no -o are standard output; a file gets the same bytes, whole.
    stdout = export(QUICKSTART, "--format", "csv").stdout
    if export(QUICKSTART, "--format", "csv", "-o", "-").stdout != stdout:
        fail("-o - differs from standard output")
    out = os.path.join(WORK, "out.csv")
    with open(out, "w") as f:
        f.write("old content")
    if export(QUICKSTART, "--format", "csv", "-o", out).stdout:
        fail("-o FILE also wrote to standard output")
    if open(out, newline="").read() != stdout or [n for n in os.listdir(WORK) if ".tmp." in n]:
        fail("-o FILE: content differs or a temp file was left")
    # A symlink is followed (the link stays), a FIFO is written in place.
    link = os.path.join(WORK, "link.csv")
    os.symlink(out, link)
    os.remove(out)
    export(QUICKSTART, "--format", "csv", "-o", link)
    if not os.path.islink(link) or open(out, newline="").read() != stdout:
        fail("-o SYMLINK: the link was replaced or its target not written")
    fifo = os.path.join(WORK, "fifo")
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, newline="").read()))
    reader.start()
    export(QUICKSTART, "--format", "csv", "-o", fifo)
    reader.join(timeout=60)
    if received != [stdout] or not stat.S_ISFIFO(os.stat(fifo).st_mode):
        fail("-o FIFO: not written in place")


if __name__ == "__main__":
    os.makedirs(WORK, exist_ok=True)
    for name in os.listdir(WORK):
        path = os.path.join(WORK, name)
        if os.path.isfile(path) or os.path.islink(path) or stat.S_ISFIFO(os.lstat(path).st_mode):
            os.remove(path)
    globals()["check_" + CHECK]()
    print(f"export_test {CHECK}: ok")
