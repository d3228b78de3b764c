#!/usr/bin/env python3
"""ci_examples_test.py BENCH SOURCE WORK EXAMPLE: runs the shell steps of
examples/ci/EXAMPLE (github-actions.yml or gitlab-ci.yml) locally, in order,
as the CI system would, in a scratch folder laid out like a checkout, with
the CI system's variables and its network tools (gh, curl) stubbed:

  1. a pipeline on main: the job passes and keeps the baseline artifact;
  2. a pull/merge request with the same code: the gate passes, and leaves
     the JUnit report, the Markdown results and the comparison;
  3. a pull/merge request whose run is made with `--impl mutex` (an injected
     regression): the job fails, and its artifacts are kept all the same.

Set-up steps are skipped, each named below: the apt-get line and the build
(the scratch checkout's build/release/src/cli/tmpmc-bench runs BENCH), and
GitHub's checkout action (the scratch folder is the checkout). The gate runs
at --scale 0.05, on throughput alone, with a 90% threshold: this checks the
workflow, not this machine's speed (a tail latency of millisecond-long runs
moves by more than any threshold when another process takes the CPU, so it
is not gated here; CTest runs this test alone, RUN_SERIAL). A regression is
injected as a changed impl, which compare refuses whatever the numbers.

Exit 0 on success, 1 with a message on the first check that fails.
"""
import os
import re
import shutil
import subprocess
import sys

import yaml

BENCH, SOURCE, WORK, EXAMPLE = sys.argv[1:5]
EXAMPLE_PATH = os.path.join(SOURCE, "examples", "ci", EXAMPLE)

# What the test sets in place of the example's own values: a short gate on
# throughput, with a threshold wide enough that identical code passes on a
# busy machine (NEW would need a tenth of BASE's throughput in every run).
TEST_VARIABLES = {
    "GATE_ARGS": "--repeat 5 --scale 0.05",
    "GATE_METRICS": "msgs_per_sec",
    "GATE_THRESHOLDS": "msgs_per_sec=90%",
}


def fail(message):
    print(f"FAIL {EXAMPLE}: {message}", file=sys.stderr)
    sys.exit(1)


def write_executable(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)


def prepare(mode, inject):
    """A fresh checkout-like folder for one pipeline; returns (repo, env)."""
    root = os.path.join(WORK, mode + ("-regressed" if inject else ""))
    shutil.rmtree(root, ignore_errors=True)
    repo = os.path.join(root, "repo")
    stubs = os.path.join(root, "stubs")
    os.makedirs(stubs)
    shutil.copytree(os.path.join(SOURCE, "configs"), os.path.join(repo, "configs"))
    cli = os.path.join(repo, "build", "release", "src", "cli")
    os.makedirs(cli)
    # The built binary; with `inject`, every `run` is made with the mutex
    # queue instead of the config's impl.
    inject_args = ' "--impl" "mutex"' if inject else ""
    write_executable(
        os.path.join(cli, "tmpmc-bench"),
        f'#!/bin/bash\nif [[ "$1" == run ]]; then shift; exec "{BENCH}" run "$@"{inject_args}; fi\n'
        f'exec "{BENCH}" "$@"\n',
    )
    artifacts = os.path.join(WORK, "artifacts")
    # gh: `run list ... --jq ...` names main's last run if it left a
    # baseline; `run download ID --name N --dir D` copies that artifact.
    write_executable(
        os.path.join(stubs, "gh"),
        f"""#!/usr/bin/env python3
import os, shutil, sys
store = {artifacts!r}
args = sys.argv[1:]
if args[:2] == ["run", "list"]:
    for flag in ("--branch", "--workflow", "--event", "--status", "--repo"):
        if flag not in args:
            sys.exit("gh stub: run list without " + flag)
    if os.path.isdir(os.path.join(store, "tmpmc-baseline")):
        print("4242")
    sys.exit(0)
if args[:2] == ["run", "download"] and args[2] == "4242":
    name = args[args.index("--name") + 1]
    dest = args[args.index("--dir") + 1]
    shutil.copytree(os.path.join(store, name), dest, dirs_exist_ok=True)
    sys.exit(0)
sys.exit("gh stub: unexpected " + " ".join(args))
""",
    )
    # curl: GitLab's job artifacts API, .../jobs/artifacts/REF/raw/PATH?job=JOB,
    # served from the artifacts main's pipeline kept; 22 (--fail) if none.
    write_executable(
        os.path.join(stubs, "curl"),
        f"""#!/usr/bin/env python3
import os, re, shutil, sys
store = {artifacts!r}
args = sys.argv[1:]
if "JOB-TOKEN: stub-job-token" not in args:
    sys.exit("curl stub: no JOB-TOKEN header")
out = args[args.index("--output") + 1]
url = args[-1]
m = re.match(r"https://gitlab.example/api/v4/projects/7/jobs/artifacts/([^/]+)/raw/(.+)\\?job=(.+)$", url)
if not m:
    sys.exit("curl stub: unexpected URL " + url)
source = os.path.join(store, "gitlab-" + m.group(1) + "-" + m.group(3), m.group(2))
if not os.path.isfile(source):
    print("curl: (22) The requested URL returned error: 404", file=sys.stderr)
    sys.exit(22)
shutil.copyfile(source, out)
""",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI_", "GATE_"))}
    env["PATH"] = stubs + os.pathsep + env["PATH"]
    return repo, env, artifacts


def run_shell(script, cwd, env, shell_flags):
    proc = subprocess.run(["bash", "--noprofile", "--norc", *shell_flags, "-c", script],
                          cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=600)
    return proc.returncode, proc.stdout


def keep_artifact(source, dest):
    if os.path.isdir(source):
        shutil.copytree(source, dest, dirs_exist_ok=True)
    elif os.path.isfile(source):
        os.makedirs(dest, exist_ok=True)
        shutil.copy(source, dest)


def expect_regression_caught(ok, log, kept_dir):
    """The pipeline run with --impl mutex: failed, said why, kept its files."""
    if ok:
        fail("the gate passed an injected regression (--impl mutex):\n" + log)
    if "queue.impl" not in log:
        fail("the failed gate does not name the changed impl:\n" + log)
    for name in ("new.json", "junit.xml"):
        if not os.path.isfile(os.path.join(kept_dir, name)):
            fail(f"the failed job's artifacts lack {name}:\n" + log)


# ---------------------------------------------------------------- GitHub Actions

GITHUB_SETUP_STEPS = ("Install the checkout's tools", "Build")


def github_condition(expression, event, job_ok):
    """The `if:` forms the example uses; anything else fails the test."""
    if expression is None:
        return job_ok
    expression = expression.strip()
    if expression == "always()":
        return True
    m = re.fullmatch(r"github\.event_name == '(\w+)'", expression)
    if m:
        return job_ok and event == m.group(1)
    fail(f"an if: this test cannot evaluate: {expression}")


def run_github(workflow, event, inject):
    repo, env, artifacts = prepare("github-" + event, inject)
    env.update({k: str(v) for k, v in workflow.get("env", {}).items()})
    env.update(TEST_VARIABLES)
    summary = os.path.join(repo, "..", "step_summary.md")
    env.update({
        "GITHUB_EVENT_NAME": event,
        "GITHUB_REPOSITORY": "example/tmpmc",
        "GITHUB_WORKFLOW": workflow["name"],
        "GITHUB_REF_NAME": "main" if event == "push" else "feature",
        "GITHUB_STEP_SUMMARY": summary,
        "CI": "true",
    })
    if event == "pull_request":
        env["GITHUB_BASE_REF"] = "main"
    job = workflow["jobs"]["gate"]
    if job.get("defaults", {}).get("run", {}).get("shell") != "bash":
        fail("the job's steps should run in bash (defaults.run.shell)")
    names = [step.get("name") for step in job["steps"]]
    for setup in GITHUB_SETUP_STEPS:
        if setup not in names:
            fail(f"no step named {setup!r}: the test skips it as set-up")
    job_ok, log = True, []
    for step in job["steps"]:
        name = step.get("name", step.get("uses"))
        if not github_condition(step.get("if"), event, job_ok):
            log.append(f"skipped (if): {name}")
            continue
        uses = step.get("uses", "")
        if uses.startswith("actions/checkout@"):
            log.append(f"set-up, not run: {name}")
        elif uses.startswith("actions/upload-artifact@"):
            keep_artifact(os.path.join(repo, step["with"]["path"]),
                          os.path.join(artifacts, step["with"]["name"]))
            log.append(f"uploaded: {step['with']['name']}")
        elif uses:
            fail(f"an action this test cannot run: {uses}")
        elif name in GITHUB_SETUP_STEPS:
            log.append(f"set-up, not run: {name}")
        else:
            step_env = dict(env)
            for key, value in step.get("env", {}).items():
                value = str(value).replace("${{ github.token }}", "stub-token")
                if "${{" in value:
                    fail(f"an expression this test cannot stub: {value}")
                step_env[key] = value
            if "${{" in step["run"]:
                fail(f"step {name!r}: run: should read variables, not ${{{{ }}}} expressions")
            rc, output = run_shell(step["run"], repo, step_env, ["-eo", "pipefail"])
            log.append(f"ran ({rc}): {name}\n{output}")
            if rc != 0:
                job_ok = False
    return job_ok, repo, artifacts, "\n".join(log), summary


def check_github():
    with open(EXAMPLE_PATH) as f:
        workflow = yaml.safe_load(f)
    if "debian:12" not in str(workflow["jobs"]["gate"].get("container")):
        fail("the job should run in a debian:12 container")
    shutil.rmtree(WORK, ignore_errors=True)

    ok, repo, artifacts, log, _ = run_github(workflow, "push", inject=False)
    if not ok:
        fail("the pipeline on main failed:\n" + log)
    if not os.path.isfile(os.path.join(artifacts, "tmpmc-baseline", "baseline.json")):
        fail("main's pipeline kept no baseline artifact:\n" + log)

    ok, repo, artifacts, log, summary = run_github(workflow, "pull_request", inject=False)
    if not ok:
        fail("the gate failed on identical code:\n" + log)
    for kept in ("new.json", "compare.json", "compare.txt", "junit.xml"):
        if not os.path.isfile(os.path.join(artifacts, "tmpmc-gate", kept)):
            fail(f"the pull request's artifacts lack {kept}:\n" + log)
    with open(summary) as f:
        text = f.read()
    if "## tmpmc-bench gate" not in text or "|" not in text:
        fail("the job summary has no results table:\n" + text)
    if "verdict" not in text:
        fail("the job summary has no comparison:\n" + text)

    shutil.rmtree(os.path.join(artifacts, "tmpmc-gate"))
    ok, repo, artifacts, log, _ = run_github(workflow, "pull_request", inject=True)
    expect_regression_caught(ok, log, os.path.join(artifacts, "tmpmc-gate"))


# ---------------------------------------------------------------- GitLab CI

GITLAB_JOB = "tmpmc-gate"


def gitlab_rule_matches(rule, env):
    m = re.fullmatch(r'\$(\w+) == (?:"([^"]*)"|\$(\w+))', rule["if"].strip())
    if not m:
        fail(f"a rule this test cannot evaluate: {rule['if']}")
    right = m.group(2) if m.group(2) is not None else env.get(m.group(3), "")
    return env.get(m.group(1), "") == right


def run_gitlab(config, source, inject):
    repo, env, artifacts = prepare("gitlab-" + source, inject)
    job = config[GITLAB_JOB]
    env.update({k: str(v) for k, v in job.get("variables", {}).items()})
    env.update(TEST_VARIABLES)
    env.update({
        "CI": "true",
        "CI_PIPELINE_SOURCE": source,
        "CI_DEFAULT_BRANCH": "main",
        "CI_JOB_NAME": GITLAB_JOB,
        "CI_JOB_TOKEN": "stub-job-token",
        "CI_API_V4_URL": "https://gitlab.example/api/v4",
        "CI_PROJECT_ID": "7",
    })
    if source == "merge_request_event":
        env["CI_MERGE_REQUEST_TARGET_BRANCH_NAME"] = "main"
        env["CI_COMMIT_REF_NAME"] = "feature"
    else:
        env["CI_COMMIT_BRANCH"] = "main"
        env["CI_COMMIT_REF_NAME"] = "main"
    if not any(gitlab_rule_matches(rule, env) for rule in job["rules"]):
        fail(f"the job does not run on a {source} pipeline")
    # before_script is the set-up (apt-get, scripts/setup, the build): not run.
    if not any("scripts/build release" in line for line in job["before_script"]):
        fail("before_script should build Release: the test skips it as set-up")
    # GitLab runs the script's lines in one shell and stops at the first failure.
    rc, output = run_shell("\n".join(job["script"]), repo, env, ["-e"])
    log = f"script ({rc}):\n{output}"
    # after_script runs whatever the script did; its failures do not fail the job.
    after_rc, after_output = run_shell("\n".join(job["after_script"]), repo, env, [])
    log += f"\nafter_script ({after_rc}):\n{after_output}"
    kept = os.path.join(artifacts, f"gitlab-{env['CI_COMMIT_REF_NAME']}-{GITLAB_JOB}")
    if job["artifacts"].get("when") == "always" or rc == 0:
        for path in job["artifacts"]["paths"]:
            keep_artifact(os.path.join(repo, path), os.path.join(kept, path))
    return rc == 0, kept, log


def check_gitlab():
    with open(EXAMPLE_PATH) as f:
        config = yaml.safe_load(f)
    if config[GITLAB_JOB].get("image") != "debian:12":
        fail("the job should run in the debian:12 image")
    if config[GITLAB_JOB]["artifacts"]["reports"].get("junit") != "gate/junit.xml":
        fail("the job should report gate/junit.xml")
    shutil.rmtree(WORK, ignore_errors=True)

    ok, kept, log = run_gitlab(config, "push", inject=False)
    if not ok:
        fail("the pipeline on main failed:\n" + log)
    if not os.path.isfile(os.path.join(kept, "gate", "baseline.json")):
        fail("main's pipeline kept no baseline artifact:\n" + log)

    ok, kept, log = run_gitlab(config, "merge_request_event", inject=False)
    if not ok:
        fail("the gate failed on identical code:\n" + log)
    for name in ("new.json", "compare.json", "compare.txt", "junit.xml", "results.md"):
        if not os.path.isfile(os.path.join(kept, "gate", name)):
            fail(f"the merge request's artifacts lack {name}:\n" + log)

    shutil.rmtree(kept)
    ok, kept, log = run_gitlab(config, "merge_request_event", inject=True)
    expect_regression_caught(ok, log, os.path.join(kept, "gate"))


if EXAMPLE == "github-actions.yml":
    check_github()
elif EXAMPLE == "gitlab-ci.yml":
    check_gitlab()
else:
    fail("unknown example")
print(f"ok {EXAMPLE}: main keeps a baseline; identical code passes; --impl mutex fails; "
      "artifacts kept either way")
