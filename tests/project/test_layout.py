"""Structural promises: one module sends HTTP, one module locates bundled data.

The layers and the third-party HTTP clients are import-linter contracts (pyproject.toml, run by
.ci/run); the standard library's clients, which import-linter cannot tell from the rest of
``http`` and ``urllib``, are checked here.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "scimcheck"
STDLIB_HTTP_CLIENTS = {"http.client", "urllib.request"}
SENDING = {"http/transport.py", "http/pools.py", "http/reading.py", "http/forwarder.py",
           "http/oauth.py", "http/oauth_grant.py"}
"""The part of the transport that sends and reads HTTP; the rest of scimcheck.http (the exchange
record, pacing, redaction, TLS settings, curl…) speaks none, as pyproject.toml's contract says."""


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_transport_imports_a_stdlib_http_client() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            name for name in _imports(path)
            if any(name == c or name.startswith(c + ".") for c in STDLIB_HTTP_CLIENTS)
        )
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).as_posix() not in SENDING
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_bundled_builds_data_paths() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.name == "bundled.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "_bundled" not in text, f"{path.name} builds a bundled-data path itself"



def _file_writes(path: Path) -> list[str]:
    """Calls that write a file: open(), Path.open/write_text/write_bytes, json.dump."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open":
            found.append(f"open() at line {node.lineno}")
        elif (isinstance(func, ast.Attribute)
              and func.attr in {"open", "write_text", "write_bytes", "dump"}
              and not (isinstance(func.value, ast.Name) and func.value.id == "redaction")
              and not (func.attr == "dump" and _dumps_to_string(node))
              and not (func.attr == "open" and _opens_to_read(node))):
            found.append(f"{func.attr}() at line {node.lineno}")
    return found


def _opens_to_read(call: ast.Call) -> bool:
    """``path.open("rb")`` or ``path.open()``: a read, not a write."""
    given = [*call.args, *(k.value for k in call.keywords if k.arg == "mode")]
    if len(given) != len(call.args) + len(call.keywords):
        return False  # another keyword: not judged, so counted as a write
    return all(isinstance(m, ast.Constant) and isinstance(m.value, str)
               and not set(m.value) & set("wax+") for m in given)


def _dumps_to_string(call: ast.Call) -> bool:
    """``yaml.dump(data, ...)`` with no stream returns the text; ``json.dump(obj, fp)`` and
    ``yaml.dump(data, stream)`` write a file."""
    return len(call.args) < 2 and not any(k.arg in {"stream", "fp"} for k in call.keywords)


def test_only_the_redaction_boundary_writes_files() -> None:
    """Every file scimcheck writes goes through scimcheck.http.redaction (issue 13 §4: no secret in
    any output), so no other module writes one itself."""
    offenders = {
        str(path.relative_to(PACKAGE)): _file_writes(path)
        for path in PACKAGE.rglob("*.py")
        if path.name != "redaction.py"
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_architecture_page_names_every_module() -> None:
    """A newcomer reads ARCHITECTURE.md to find where a thing lives: a module missing there is
    a module nobody finds. Each is named under its layer (``http/ transport.py``)."""
    page = (PACKAGE.parent.parent / "ARCHITECTURE.md").read_text(encoding="utf-8")
    listing = page.split("## Modules", 1)[1].split("```")[1]
    named: set[str] = set()
    layer = ""
    for line in listing.splitlines():
        words = line.split()
        if words and words[0].endswith("/"):
            layer, words = words[0], words[1:]
        if words and words[0].endswith((".py", ".yaml", ".json")):
            named.add(layer + words[0])
    modules = {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
               if p.name != "__init__.py" and p.parent != PACKAGE}
    assert sorted(modules - named) == [], "ARCHITECTURE.md does not name these modules"
    assert sorted(named - modules - {"checks/checks.yaml", "checks/checks.schema.json"}) == [], \
        "ARCHITECTURE.md names modules that do not exist"


def test_no_two_classes_share_a_name() -> None:
    """One name, one meaning: two classes called Settings (or Step, Recorder, Target) made a
    reader ask which one a module meant."""
    seen: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                seen.setdefault(node.name, []).append(str(path.relative_to(PACKAGE)))
    assert {name: where for name, where in seen.items() if len(where) > 1} == {}


STAYING_EXCEPTIONS = {"PropertyFailed", "ExpansionError", "LoadFailure"}
"""Exceptions that stay beside their code (scimcheck.core.errors says why)."""


def test_shared_exceptions_live_in_one_module() -> None:
    def exception_classes(path: Path) -> set[str]:
        found = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_") and any(
                isinstance(base, (ast.Name, ast.Attribute))
                and ast.unparse(base).endswith(("Exception", "Error", "SkipTest"))
                for base in node.bases
            ):
                found.add(node.name)
        return found

    elsewhere = {
        name: path.name for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "errors.py" and "server" not in path.parts
        for name in exception_classes(path)
    }
    assert set(elsewhere) == STAYING_EXCEPTIONS, elsewhere
