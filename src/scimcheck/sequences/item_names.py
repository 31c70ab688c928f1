"""How a sequence file's pytest items are named (no pytest import: the repro scripts and
``scimcheck replay`` name and check them by these rules).

An item's node id is ``<file name>::<name>``: the Entra dialect it replays
(``user-lifecycle.yaml::legacy``), the sequence's id when it declares ``dialects: none``
(``discovery.yaml::discovery``), or ``broken-file`` when the file does not load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scimcheck.entra.dialects import Dialect
    from scimcheck.sequences.files import SequenceFile

SUFFIXES = (".yaml", ".yml", ".json")
"""What a sequence file's name ends with (docs/sequences.md)."""
BROKEN = "broken-file"
"""The name of the one item a file that does not load yields (it errors)."""


def item_name(spec: SequenceFile, dialect: Dialect | None) -> str:
    """The item's name within its file: its dialect, or the sequence id without one."""
    return dialect.value if dialect is not None else spec.id


def item_names(spec: SequenceFile) -> set[str]:
    """Every name an item of this file can have (whichever dialects a run chooses)."""
    from scimcheck.entra.dialects import Dialect

    if spec.dialects == "none":
        return {item_name(spec, None)}
    return {item_name(spec, d) for d in Dialect}


def is_sequence_item(test: str) -> bool:
    """Whether a node id names a sequence file's item (not a Python test)."""
    return test.split("::", 1)[0].endswith(SUFFIXES)


def short_name(test: str) -> str:
    """A node id without ``::`` and the file's suffix, for file names: ``user-lifecycle-legacy``
    for ``user-lifecycle.yaml::legacy``, ``discovery`` for ``discovery.yaml::discovery``, the
    function (and its parameters) for a Python test."""
    file_name, _, item = test.partition("::")
    if not is_sequence_item(test):
        return test.split("::")[-1]
    stem = file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return stem if item in ("", stem) else f"{stem}-{item}"
