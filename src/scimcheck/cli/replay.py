"""``scimcheck replay``: re-run a failure or a sequence file, verbosely, and say if it still fails.

Two kinds of FILE:

- a failure record (``reports/repro/*.json``, written beside each repro script): the same test
  is run again with the same seed and profile, so the same requests are sent (ids aside) and
  the same check judges the answer: "still failing" or "fixed";
- a sequence file (``fixtures/sequences/*.yaml``, or one ``scimcheck record`` wrote): it is
  replayed alone, in each dialect it declares, and every check it names is judged.

Every request and answer is printed as it happens (token redacted). A failure record is replayed
only against the URL given (or, with ``--embedded``, the embedded reference server): the URL it
names (``target``) is shown, never used, and neither is its ``script``. A sequence file without
URL runs against the embedded server. FILE may come from someone else's report bundle, so
nothing in it is executed or opened: a record names one of the bundled suites' items, and a
bundled profile (or none).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from scimcheck import TOKEN_ENV
from scimcheck.checks import registry as checks
from scimcheck.cli import oauth_login
from scimcheck.cli.arguments import connection_arguments, numeric_environment, tls_arguments
from scimcheck.cli.common import fail, suites_path, tls_verify
from scimcheck.cli.pytest_session import _Stopped, pytest_argv, run_pytest
from scimcheck.core import bundled, exitcodes, textfile
from scimcheck.core.errors import ReplayFileError, SequenceFileError
from scimcheck.http import redaction
from scimcheck.http.redaction import one_line
from scimcheck.scim import profiles, schemas
from scimcheck.sequences import files as sequence_files
from scimcheck.sequences import item_names
from scimcheck.settings import options

if TYPE_CHECKING:
    from scimcheck.cli.arguments import Subparsers


def add_parser(sub: Subparsers) -> None:
    """``replay``'s options."""
    replay = sub.add_parser(
        "replay",
        help="re-run a failure (reports/repro/*.json) or a sequence file and say if it still fails",
        description="Re-run a failure record written by 'scimcheck run' (reports/repro/*.json: "
        "the same test, seed and profile) or a sequence file (e.g. one 'scimcheck record' "
        "wrote), printing every request and answer. Exit 0: fixed / passes; 1: still failing. "
        "A failure record needs URL (or --embedded); a sequence file without URL runs against "
        "the embedded reference server.",
    )
    replay.add_argument("file", help="a failure record (.json) or a sequence file (.yaml/.json)")
    replay.add_argument("url", nargs="?", help="SCIM base URL (a sequence file's default: the "
                        "embedded server)")
    replay.add_argument("--embedded", action="store_true",
                        help="replay against the embedded reference server (how a correct "
                        "server answers)")
    replay.add_argument("--profile", default=None, metavar="NAME|PATH",
                        help="attribute-mapping profile (default: the failure's, or entra-app)")
    replay.add_argument("--dialect", choices=("legacy", "compliant", "both"), default="both",
                        help="dialect(s) for a sequence file (default both)")
    replay.add_argument("--report-dir", default="reports/replay", metavar="DIR",
                        help="where the replay's reports go (default reports/replay)")
    replay.add_argument("--timeout", type=float, metavar="SECONDS",
                        help="per-request timeout (default 60, Entra's limit)")
    oauth_login.add_arguments(replay)
    tls_arguments(replay)
    connection_arguments(replay)


def execute(args: argparse.Namespace, pytest_args: list[str]) -> int:
    """``scimcheck replay``: the failure or sequence in FILE again, verbosely; its verdict."""
    from scimcheck.core.errors import ConfigError

    try:
        target = load(Path(args.file), Path(suites_path()),
                      profile_given=args.profile is not None)
    except ReplayFileError as exc:
        return fail(str(exc))
    problem = numeric_environment()
    if problem:
        return fail(problem)
    try:
        profile = profiles.load(args.profile or target.profile)
        verify = tls_verify(args)
    except ConfigError as exc:
        return fail(str(exc))
    token = os.environ.get(TOKEN_ENV) or None
    settings = argparse.Namespace(
        url=args.url, dialect=args.dialect, strict=False, seed=None, timeout=args.timeout,
        examples=None, verify=verify, proxy=args.proxy, headers=args.headers,
        header=args.header, secret_header=args.secret_header,
        **{option.name: getattr(args, option.name) for option in options.OAUTH},
    )
    report_dir = Path(args.report_dir)
    results_path = report_dir / "results.json"

    def argv_for(url: str) -> list[str]:
        argv = pytest_argv(settings, url, profile.source, report_dir, target.options)
        argv[0:1] = target.nodes
        return argv

    if args.url and args.embedded:
        return fail("give URL or --embedded, not both")
    if target.check is not None and not args.url and not args.embedded:
        # a record never chooses where requests go, and the embedded (correct) server would
        # say "fixed" about an endpoint it never contacted
        recorded = (f"the failure was recorded against {target.recorded_target}; "
                    if target.recorded_target else "")
        return fail(f"{recorded}pass the endpoint to replay against: scimcheck replay "
                    f"{args.file} URL (or --embedded for the reference server)")
    if target.names_target and not args.url:  # --embedded: a record never chooses the target
        print("scimcheck: replaying against the embedded reference server, not the endpoint "
              "the record was written against")
    print(f"scimcheck: replaying {redaction.for_terminal(target.label)}")  # the file's words
    try:
        run_pytest(settings, token, report_dir, argv_for)
    except _Stopped as stopped:
        return stopped.code
    if not results_path.exists():
        return fail("the replay did not run; see the output above", exitcodes.HARNESS_ERROR)
    exit_code, sentence = verdict(
        target, json.loads(results_path.read_text(encoding="utf-8"))
    )
    print(f"scimcheck: {redaction.for_terminal(sentence)}")
    return exit_code


@dataclass(frozen=True)
class ReplayTarget:
    """What to run: pytest node ids plus extra options, and what to say afterwards."""

    nodes: list[str]
    options: list[str]
    check: str | None
    """The failure record's check, or None for a sequence file (every check counts)."""
    profile: str | None
    """The bundled profile file the record names (never a path the record chose), or None."""
    label: str
    names_target: bool = False
    """The record names the URL its run tested; a replay never sends anything there."""
    recorded_target: str = ""
    """That URL as the record has it, shown only: without credentials, query or fragment,
    escaped for the terminal ("" when the record names none)."""


_NEITHER = (
    "neither a failure record (reports/repro/*.json, written by 'scimcheck run') nor a "
    "sequence file (docs/sequences.md)"
)


def load(path: Path, suites: Path, *, profile_given: bool = False) -> ReplayTarget:
    """Read FILE; ``ReplayFileError`` when it cannot be replayed.

    FILE may come from someone else's report bundle, so it is data: a failure record must
    validate against ``schemas/failure-record.schema.json`` and name an item of the bundled
    ``suites`` (a bare file name and a test function they define, or a bundled sequence file
    and an item it yields: ``user-lifecycle.yaml::legacy``); a sequence file must load
    (``sequence_files.load``: safe YAML, its schema). ``profile_given``: ``--profile`` was
    passed, so the record's profile is not used.
    """
    path = bundled_sequence(path) or path
    if path.suffix != ".json":
        return _sequence(path)
    try:
        text = textfile.read(path)
    except OSError as exc:
        raise ReplayFileError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ReplayFileError(f"{path} is not UTF-8 text; it is {_NEITHER}") from None
    try:
        data: Any = json.loads(text)
    except (ValueError, RecursionError):
        raise ReplayFileError(f"{path} is not JSON; it is {_NEITHER}") from None
    if isinstance(data, dict) and "steps" in data and "check" not in data:
        return _sequence(path)
    if not (isinstance(data, dict) and ("check" in data or "test" in data)):
        raise ReplayFileError(f"{path} is {_NEITHER}")
    return _record(path, data, suites, profile_given)


def bundled_sequence(path: Path) -> Path | None:
    """A bundled sequence named by its id (``user-lifecycle``) or by its path in a checkout
    (``fixtures/sequences/user-lifecycle.yaml``) when no such file is here: the same command
    then works from an installed package. A file that exists always wins."""
    if path.exists() or path.parent not in (Path("."), Path("fixtures/sequences")):
        return None
    stem = path.name.removesuffix(".yaml").removesuffix(".yml")
    found = bundled.fixtures_dir() / "sequences" / f"{stem}.yaml"
    return found if stem and found.is_file() else None


def bundled_sequence_ids() -> list[str]:
    """The ids of the bundled sequences, for messages."""
    return sorted(p.stem for p in (bundled.fixtures_dir() / "sequences").glob("*.yaml"))


def _sequence(path: Path) -> ReplayTarget:
    try:
        spec = sequence_files.load(path)
    except SequenceFileError as exc:
        if "cannot read" in str(exc):
            bundled_ids = (f" (or name a bundled sequence: {', '.join(bundled_sequence_ids())})"
                           if not path.exists() else "")
            raise ReplayFileError(one_line(str(exc), limit=1000) + bundled_ids) from None
        raise ReplayFileError(one_line(f"{path} is {_NEITHER}: {exc}")) from None
    return ReplayTarget(  # the file is the item's collector (pytest_plugin.sequence_items)
        nodes=[str(path.resolve())], options=["--scim-verbose", "-s"],
        check=None, profile=None, label=f"sequence {spec.id}",
    )


def _record(path: Path, data: dict[str, Any], suites: Path, profile_given: bool) -> ReplayTarget:
    """A failure record as a ReplayTarget, once every field is proven to be what scimcheck wrote."""
    problems = schemas.validate("failure-record", data)
    if problems:
        raise ReplayFileError(one_line(
            f"{path} is not a failure record scimcheck can replay: {problems[0].message}"
        ))
    check, test = data["check"], data["test"]
    if check not in checks.REGISTRY:
        raise ReplayFileError(one_line(
            f"{path}: the record names the check {check!r}, which scimcheck does not have "
            "('scimcheck checks' lists them); was it written by another version?"
        ))
    file_name, item = test.split("::", 1)
    suite = _item_file(suites, file_name, item)
    if suite is None:
        raise ReplayFileError(one_line(
            f"{path}: test {test!r} is not one of the suites' items (the suites are "
            f"{', '.join(_suite_files(suites))} and the bundled sequence files); a record can "
            "only name scimcheck's own tests"
        ))
    profile = None if profile_given else _profile(path, data.get("profile"))
    options = ["--scim-seed", str(data["seed"])] if data.get("seed") is not None else []
    if data.get("examples") is not None:
        options += ["--scim-examples", str(data["examples"])]
    # the failing item may be one shard of a property: split it as the run did (`run` splits
    # in 4 unless the record says otherwise), so the item and its seed exist again
    options += ["--scim-shards", str(data.get("shards") or 1)]
    if not file_name.startswith("test_generated"):  # a property sends thousands of requests
        options += ["--scim-verbose", "-s"]
    return ReplayTarget(
        nodes=[f"{suite}::{item}"], options=options, check=check, profile=profile,
        label=f"{check} in {item}", names_target=bool(data.get("target")),
        recorded_target=shown_target(data.get("target")),
    )


SHOWN_TARGET_LIMIT = 200


def shown_target(value: Any) -> str:
    """A record's ``target`` to show a person: scheme, host, port and path only (a bundle's
    URL may carry a password or a secret query), escaped, at most 200 characters."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        parts = urlsplit(value)
        host = parts.netloc.rpartition("@")[2]
        shown = urlunsplit((parts.scheme, host, parts.path, "", ""))
    except ValueError:
        shown = "(a URL scimcheck cannot read)"
    return one_line(shown, SHOWN_TARGET_LIMIT)


def _profile(path: Path, value: str | None) -> str | None:
    """The bundled profile file a record names; a record never chooses a file to read."""
    if value is None:
        return None
    shipped = profiles.bundled_file(value)
    if shipped is None:
        raise ReplayFileError(one_line(
            f"{path}: the record's profile {value!r} is not a bundled profile "
            f"({', '.join(profiles.bundled_names())}), and a record cannot choose a file for "
            "scimcheck to read; pass --profile NAME or --profile PATH to say which to use"
        ))
    return str(shipped)


def _item_file(suites: Path, file_name: str, item: str) -> Path | None:
    """The bundled file that holds the item a record names: a suite module defining its test
    function, or a bundled sequence file (``user-lifecycle.yaml::legacy``) yielding an item of
    that name; ``None`` when the record names anything else."""
    if item_names.is_sequence_item(f"{file_name}::{item}"):
        found = _sequence_files().get(file_name)
        if found is None:
            return None
        try:
            spec = sequence_files.load(found)
        except SequenceFileError:
            return None
        return found if item in item_names.item_names(spec) else None
    suite = _suite_files(suites).get(file_name)
    if suite is None or item.split("[", 1)[0] not in _test_functions(suite):
        return None
    return suite


def _sequence_files() -> dict[str, Path]:
    """The bundled sequence files by bare name (regular files, no symlinks)."""
    directory = sequence_files.default_directory()
    return {
        p.name: p for p in sorted(directory.glob("*"))
        if p.suffix in item_names.SUFFIXES and p.is_file() and not p.is_symlink()
    }


def _suite_files(suites: Path) -> dict[str, Path]:
    """The bundled suite files by bare name: regular files directly in ``suites`` (a symlink,
    which could lead anywhere, is not one)."""
    return {
        p.name: p for p in sorted(suites.glob("test_*.py"))
        if p.is_file() and not p.is_symlink()
    }


def _test_functions(suite: Path) -> set[str]:
    """The test functions a suite file defines, read from its syntax tree (nothing imported)."""
    tree = ast.parse(suite.read_text(encoding="utf-8"), filename=str(suite))
    return {
        node.name for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }


def verdict(target: ReplayTarget, document: dict[str, Any]) -> tuple[int, str]:
    """The exit code and the sentence to print, from the replay's results."""
    by_id = {c["id"]: c for c in document["checks"]}
    if target.check is not None:
        entry = by_id.get(target.check)
        if entry is None or entry["outcome"] == "skipped":
            return exitcodes.HARNESS_ERROR, (
                f"could not judge {target.label}: the check was not evaluated this time "
                "(see the output above)"
            )
        if entry["outcome"] in ("failed", "workaround"):  # a workaround is no fix
            return exitcodes.CHECKS_FAILED, f"still failing: {target.check}: {entry['message']}"
        return exitcodes.OK, f"fixed: {target.check} passes now"
    failed = [c for c in document["checks"] if c["outcome"] == "failed"]
    if document["tests"]["errors"]:
        return exitcodes.HARNESS_ERROR, f"{target.label} could not be replayed (see above)"
    if failed:
        lines = "; ".join(f"{c['id']}: {c['message']}" for c in failed[:5])
        return exitcodes.CHECKS_FAILED, f"still failing: {lines}"
    judged = sum(1 for c in document["checks"] if c["outcome"] == "passed")
    return exitcodes.OK, f"passes: {target.label}, {judged} check(s) held"
