"""Sequence files as pytest items, collected the way tavern collects its YAML tests.

Every file in ``fixtures/sequences/`` (or the one ``--scim-sequence-file`` names) and in each
``--scim-sequences DIR`` is a :class:`SequenceYaml` collector beside the bundled suites, and a
sequence file given to pytest as an argument is collected the same way. A file yields one
:class:`SequenceItem` per Entra dialect it is replayed in (``user-lifecycle.yaml::legacy``), or
one named by its id when it declares ``dialects: none`` (``discovery.yaml::discovery``), so the
terminal, JUnit, ``-k`` and ``--lf`` speak in sequence names (docs/sequences.md). A failure
quotes the YAML step that failed with its file and line; a skip says its reason once, at the
file. A broken file is one item that errors (a harness error, never a verdict), so the rest of
the run goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from scimcheck.core.errors import HarnessError
from scimcheck.pytest_plugin.configure import _dialects
from scimcheck.sequences import item_names as sequence_names

if TYPE_CHECKING:
    from scimcheck.entra.dialects import Dialect
    from scimcheck.scim.capabilities import Capabilities
    from scimcheck.sequences.files import SequenceFile, Step
    from scimcheck.sequences.interpreter import Factories
    from scimcheck.sequences.runner import Sequence
    from scimcheck.settings.run import Settings

QUOTED_LINES = 12
"""The most lines of a failing step's YAML a failure quotes."""
_IDS_KEY = pytest.StashKey[dict[str, Path]]()


def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """The bundled suites directory also holds the sequence files (they live in
    ``fixtures/sequences/``, beside it)."""
    from scimcheck.core import bundled

    if path.resolve() != bundled.suites_dir().resolve():
        return None
    return SuitesDir.from_parent(parent, path=path)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A sequence file given to pytest as an argument (``scimcheck replay`` passes one)."""
    if file_path.suffix in sequence_names.SUFFIXES and parent.session.isinitpath(file_path):
        return SequenceYaml.from_parent(parent, path=file_path, nodeid=file_path.name)
    return None


class SuitesDir(pytest.Directory):
    """The bundled suites: every sequence file first (as when they were a test module named
    test_entra_sequences.py), then the Python modules (collected as ``pytest.Dir`` collects
    a directory, which cannot be subclassed)."""

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        names: set[str] = set()
        for path in _sequence_paths(self.config):
            name = path.name if path.name not in names else f"{path.parent.name}/{path.name}"
            names.add(name)
            yield SequenceYaml.from_parent(self, path=path, nodeid=name)
        ihook, session = self.ihook, self.session
        for path in sorted(self.path.iterdir()):
            if path.is_dir():
                if not session.isinitpath(path, with_parents=True) and ihook.pytest_ignore_collect(
                    collection_path=path, config=self.config
                ):
                    continue
                directory = ihook.pytest_collect_directory(path=path, parent=self)
                if directory is not None:
                    yield directory
            elif path.is_file():
                if not session.isinitpath(path) and ihook.pytest_ignore_collect(
                    collection_path=path, config=self.config
                ):
                    continue
                yield from ihook.pytest_collect_file(file_path=path, parent=self)


def _sequence_paths(config: pytest.Config) -> list[Path]:
    """The sequence files a run replays: the bundled ones (or only ``--scim-sequence-file``)
    and those in each ``--scim-sequences DIR``, each directory's sorted by name."""
    from scimcheck.sequences import files as sequence_files

    only = config.getoption("scim_sequence_file")
    if only:
        return [Path(only)]
    directories = [sequence_files.default_directory()]
    for extra in config.getoption("scim_sequences") or []:
        path = Path(extra)
        if not path.is_dir():
            raise pytest.UsageError(f"--scim-sequences {extra!r} is not a directory")
        directories.append(path)
    return [
        path for directory in directories for path in sorted(directory.glob("*"))
        if path.suffix in sequence_names.SUFFIXES
    ]


class SequenceYaml(pytest.File):
    """One sequence file: an item per dialect, or one item that errors when it is broken."""

    def collect(self) -> Iterable[pytest.Item]:
        from scimcheck.core.errors import SequenceFileError
        from scimcheck.sequences import files as sequence_files

        try:
            spec = sequence_files.load(self.path)
        except SequenceFileError as exc:
            yield BrokenSequence.from_parent(self, name=sequence_names.BROKEN, problem=str(exc))
            return
        ids = self.config.stash.setdefault(_IDS_KEY, {})
        if ids.setdefault(spec.id, self.path) != self.path:
            problem = (f"{shown(self.path)}:1: sequence id {spec.id!r} is "
                       f"already used by {shown(ids[spec.id])}")
            yield BrokenSequence.from_parent(self, name=sequence_names.BROKEN, problem=problem)
            return
        dialects: list[Dialect | None] = (
            [None] if spec.dialects == "none" else list(_dialects(self.config))
        )
        for dialect in dialects:
            yield SequenceItem.from_parent(
                self, name=sequence_names.item_name(spec, dialect), spec=spec, dialect=dialect
            )


class SequenceItem(pytest.Function):
    """One sequence file replayed in one Entra dialect (``None``: a dialect-free sequence)."""

    def __init__(
        self, *, spec: SequenceFile, dialect: Dialect | None, **kwargs: Any
    ) -> None:
        super().__init__(callobj=replay_sequence, **kwargs)
        self.spec = spec
        self.dialect = dialect
        self.steps_at: list[tuple[int, Step]] = []
        """(how many verdicts the sequence had when a step began, that step), in order."""
        self.aborted_in: Step | None = None

    def reportinfo(self) -> tuple[Path, int, str]:
        # the failure's head line; not "file::name", which pytest's terminal would respell
        return self.path, 0, f"{self.path.name} ({self.name})"

    def failed_steps(self, sequence: Sequence) -> list[Step]:
        """The steps whose answers failed a check at a failing level (or where the sequence
        stopped), in order."""
        failed = {id(e) for e in sequence.run_failures()}
        steps: list[Step] = []
        for index, evaluation in enumerate(sequence.evaluations):
            if id(evaluation) in failed:
                step = self._step_of(index)
                if step is not None and step not in steps:
                    steps.append(step)
        if self.aborted_in is not None and self.aborted_in not in steps:
            steps.append(self.aborted_in)
        return steps

    def _step_of(self, index: int) -> Step | None:
        """The step during which the sequence's ``index``-th verdict was given."""
        found = None
        for start, step in self.steps_at:
            if start > index:
                break
            found = step
        return found

    def describe(self, failures: str, sequence: Sequence) -> str:
        """The failure text, then each failing step of the YAML file quoted at its line."""
        parts = [failures]
        for step in self.failed_steps(sequence):
            parts.append(quote_step(self.spec, step))
        return "\n\n".join(parts)

    def skip_location(self) -> tuple[str, int]:
        """Where a skip points: the file's ``requires`` (or its first line); pytest shows the
        path relative to the working directory."""
        return str(self.path), _requires_line(self.path)


class BrokenSequence(pytest.Function):
    """A sequence file that does not load: an item that errors with the file's problem."""

    def __init__(self, *, problem: str, **kwargs: Any) -> None:
        super().__init__(callobj=broken_sequence, **kwargs)
        self.problem = problem

    def reportinfo(self) -> tuple[Path, int, str]:
        # the failure's head line; not "file::name", which pytest's terminal would respell
        return self.path, 0, f"{self.path.name} ({self.name})"

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> Any:
        if excinfo.errisinstance(HarnessError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


def replay_sequence(
    request: pytest.FixtureRequest,
    scim: Sequence,
    scim_factories: Factories,
    scim_settings: Settings,
    scim_capabilities: Capabilities,
) -> None:
    """Replay the item's sequence file in its dialect; skipped when it cannot apply here."""
    from scimcheck.core.errors import SequenceAborted
    from scimcheck.sequences.interpreter import Replay

    item: SequenceItem = request.node
    reason = unmet_requirement(item.spec, scim_settings, scim_capabilities)
    if reason:
        pytest.skip(reason)

    replay = Replay(item.spec, scim, item.dialect, scim_factories)
    item.steps_at, item.aborted_in = replay.steps_at, None  # a rerun starts afresh
    try:
        replay.run()
    except SequenceAborted:
        item.aborted_in = replay.steps_at[-1][1] if replay.steps_at else None
        raise


def broken_sequence(scim: Sequence, request: pytest.FixtureRequest) -> None:
    """A broken sequence file is a harness error, never the endpoint's fault."""
    raise HarnessError(f"broken sequence file: {request.node.problem}")


def unmet_requirement(
    spec: SequenceFile, settings: Settings, capabilities: Capabilities
) -> str | None:
    """Why the sequence cannot apply here: the profile lacks what it needs, or the endpoint
    does not claim an optional feature (the evidence is in the reason)."""
    from scimcheck.scim.capabilities import OPTIONAL_FEATURES

    profile = settings.profile
    for requirement in spec.requires:
        if requirement in OPTIONAL_FEATURES:
            reason = capabilities.skip_reason(requirement)
            if reason:
                return reason
        elif requirement == "groups":
            if profile.groups is None:
                return f"profile {profile.name!r} does not map groups"
        elif not profile.user_sends(requirement):
            return f"profile {profile.name!r} does not map the user attribute {requirement}"
    return None


def quote_step(spec: SequenceFile, step: Step) -> str:
    """``In FILE:LINE, step 'NAME':`` and the step's YAML lines (at most ``QUOTED_LINES``)."""
    later = [s.line for s in spec.steps if s.line > step.line]
    try:
        lines = spec.path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        lines = []
    end = min([*later, len(lines) + 1]) - 1
    while end > step.line and not lines[end - 1].strip():
        end -= 1
    quoted = list(_numbered(lines, step.line, min(end, step.line + QUOTED_LINES - 1)))
    if end > step.line + QUOTED_LINES - 1:
        quoted.append("      …")
    header = f"In {shown(spec.path)}:{step.line}, step {step.name!r}:"
    return "\n".join([header, *quoted])


def shown(path: Path) -> str:
    """A sequence file's path as messages show it: relative to where the bundled data lives
    (``fixtures/sequences/…``, in a checkout and an installed package alike), else as given."""
    from scimcheck.core import bundled

    try:
        return str(path.resolve().relative_to(bundled.root()))
    except ValueError:
        return str(path)


def _numbered(lines: list[str], first: int, last: int) -> Iterator[str]:
    width = len(str(last))
    for number in range(first, last + 1):
        if 0 < number <= len(lines):
            yield f"  {number:>{width}} | {lines[number - 1]}"


def _requires_line(path: Path) -> int:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    for number, line in enumerate(lines, start=1):
        if line.startswith(("requires:", '"requires":')) or line.lstrip().startswith(
            '"requires"'
        ):
            return number
    return 1
