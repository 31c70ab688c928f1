"""The wheel carries the package, the bundled data (suites, schemas, fixtures) and the entry points.

Builds the wheel from the repository root into a temporary directory, once per module.
Slow (a build): deselect with ``-m "not slow"``.
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
BUNDLED = "scimcheck/_bundled"


def _run_from_wheel(script: str, site: Path) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with the unpacked wheel at ``site`` first on sys.path (argv[1]), from
    inside it, without this checkout's PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-c", script, str(site)], cwd=site.parent, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )


def _build_command(outdir: Path) -> list[str]:
    """``python -m build --wheel``; without isolation when hatchling is already installed
    (faster, and no index needed), else ``pip wheel --no-deps`` if build is missing."""
    if importlib.util.find_spec("build") is not None:
        command = [sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir)]
        if importlib.util.find_spec("hatchling") is not None:
            command.append("--no-isolation")
        return [*command, str(REPO)]
    return [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(outdir), str(REPO)]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        _build_command(outdir),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, (
        f"wheel build failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    wheels = sorted(outdir.glob("scimcheck-*.whl"))
    assert len(wheels) == 1, f"expected one scimcheck wheel in {outdir}: {wheels}"
    return wheels[0]


@pytest.fixture(scope="module")
def members(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _dist_info_file(wheel: Path, members: set[str], name: str) -> str:
    matches = [m for m in members if m.endswith(f".dist-info/{name}")]
    assert len(matches) == 1, f"{name} in the wheel: {matches}"
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(matches[0]).decode("utf-8")


def test_every_schema_file_is_bundled(members: set[str]) -> None:
    expected = {
        f"{BUNDLED}/schemas/{p.relative_to(REPO / 'schemas').as_posix()}"
        for p in (REPO / "schemas").rglob("*")
        if p.is_file()
    }
    assert f"{BUNDLED}/schemas/scim/user.schema.json" in expected
    assert expected <= members, sorted(expected - members)


def test_schemas_module_is_packaged(members: set[str]) -> None:
    assert {"scimcheck/scim/schemas.py", "scimcheck/core/bundled.py",
            "scimcheck/py.typed"} <= members


def test_schemas_load_from_the_unpacked_wheel(wheel: Path, tmp_path: Path) -> None:
    """Outside a checkout, ``bundled.schemas_dir()`` is ``scimcheck/_bundled/schemas`` and every
    cross-file ``$ref`` still resolves offline."""
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "site")
    script = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, sys.argv[1])
        from scimcheck.core import bundled
        from scimcheck.scim import schemas
        assert schemas.__file__.startswith(sys.argv[1]), schemas.__file__
        assert "_bundled" in str(bundled.schemas_dir()), bundled.schemas_dir()
        user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "1",
                "userName": "a", "active": "True", "meta": {"created": "2010-01-23T04:56:22Z"}}
        problems = schemas.validate("user", user)
        assert [p.path for p in problems] == ["/active"], problems
        for kind in schemas.KINDS:
            schemas.validate(kind, {})
        print("ok")
        """
    )
    done = _run_from_wheel(script, tmp_path / "site")
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]


def test_check_registry_loads_from_the_unpacked_wheel(
    wheel: Path, members: set[str], tmp_path: Path
) -> None:
    """The registry's data and schema ship as package data beside ``checks/registry.py``, and
    every check reads and validates from the installed wheel."""
    assert {"scimcheck/checks/checks.yaml", "scimcheck/checks/checks.schema.json"} <= members
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "site")
    script = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, sys.argv[1])
        from scimcheck.checks import registry
        assert registry.DATA_FILE.is_relative_to(sys.argv[1]), registry.DATA_FILE
        assert len(registry.all_checks()) == len(registry.REGISTRY) > 80
        print(registry.get("transport.tls12").level)
        """
    )
    done = _run_from_wheel(script, tmp_path / "site")
    assert done.returncode == 0 and done.stdout.strip() == "entra-blocking", done.stderr[-3000:]


def test_suites_and_fixtures_are_bundled(members: set[str]) -> None:
    suites = {m for m in members if m.startswith(f"{BUNDLED}/suites/")}
    assert any(m.endswith(".py") for m in suites), sorted(suites)
    assert f"{BUNDLED}/fixtures/profiles/entra-app.yaml" in members


def test_plugin_and_cli_are_packaged(members: set[str]) -> None:
    assert {"scimcheck/pytest_plugin/plugin.py", "scimcheck/cli/main.py",
            "scimcheck/__init__.py"} <= members


def test_no_caches_or_bytecode_in_the_wheel(members: set[str]) -> None:
    stray = [m for m in members if "__pycache__" in m or m.endswith((".pyc", ".pyo"))]
    assert stray == []


def test_entry_points(wheel: Path, members: set[str]) -> None:
    parser = configparser.ConfigParser()
    parser.read_string(_dist_info_file(wheel, members, "entry_points.txt"))
    assert parser.get("pytest11", "scimcheck") == "scimcheck.pytest_plugin.plugin"
    assert parser.get("console_scripts", "scimcheck") == "scimcheck.cli.main:main"


def test_the_installed_suites_collect_every_bundled_sequence_file(
    wheel: Path, tmp_path: Path
) -> None:
    """Outside a checkout the sequence files live in ``scimcheck/_bundled/fixtures``, beside
    the bundled suites: pytest still collects each as items named by the file (issue 15 §2)."""
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "site")
    script = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, sys.argv[1])
        import pytest
        from scimcheck.core import bundled
        suites = bundled.suites_dir()
        assert str(suites).startswith(sys.argv[1]), suites
        sys.exit(pytest.main([
            str(suites), "-p", "scimcheck.pytest_plugin.plugin", "-p", "no:cacheprovider",
            "-c", str(suites / "pytest.ini"), f"--rootdir={suites}", "--collect-only", "-q",
            "--scim-url", "http://127.0.0.1:9/scim", "--scim-preflight-done",
        ]))
        """
    )
    env = {k: v for k, v in os.environ.items()
           if k != "PYTHONPATH" and not k.startswith("SCIM_")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "site")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    names = {p.name for p in (REPO / "fixtures" / "sequences").glob("*.yaml")}
    for name in names:
        assert f"{name}::" in done.stdout, (name, done.stdout[-3000:])
    assert "user-lifecycle.yaml::legacy" in done.stdout
    assert "discovery.yaml::discovery" in done.stdout
    assert "broken-file" not in done.stdout
