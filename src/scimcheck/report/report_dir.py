"""A report directory checked before anything is sent: every file a run writes there can be
written, so a run never ends in a traceback after it has judged the endpoint (docs/cli.md,
exit code 2)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

from scimcheck.core.errors import ConfigError

RUN_FILES = ("results.json", "junit.xml", "report.html")
"""The reports ``run`` and ``replay`` write."""
RUN_DIRECTORIES = ("repro", ".pytest_cache", ".hypothesis")
"""The directories they keep beside them (repro scripts and failure records, caches)."""
REPRO_PATTERNS = ("repro/*.sh", "repro/*.json")
"""A run's earlier repro files, which the next run replaces (scimcheck.report.repro)."""


def prepare(
    directory: Path, files: Iterable[str] = RUN_FILES, directories: Iterable[str] = (),
    replaced: Iterable[str] = (), option: str = "--report-dir",
) -> None:
    """Create ``directory`` and make sure ``files`` can be written in it, ``directories`` kept
    in it and the files matching ``replaced`` removed; ``ConfigError`` naming the first that
    cannot (a directory where a report goes, a file where a directory must be, no permission)."""
    where = repr(str(directory))
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"{option} {where} is a file, not a directory; pass a directory "
                          "(it is created when missing)")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot write in {option} {where}: {exc.strerror or exc}; pass a "
                          "directory you can write to") from None
    for name in files:
        path = directory / name
        if path.exists() and not path.is_file():  # a directory, a FIFO that would block
            raise ConfigError(f"{str(path)!r} is not a regular file, and the run writes its "
                              f"report there; remove it or pass another {option}")
    for name in directories:
        path = directory / name
        if path.exists() and not path.is_dir():
            raise ConfigError(f"{str(path)!r} is a file where the run keeps a directory; remove "
                              f"it or pass another {option}")
    for pattern in replaced:
        for path in sorted(directory.glob(pattern)):
            if path.is_dir() and not path.is_symlink():  # unlink() cannot remove it
                raise ConfigError(f"{str(path)!r} is a directory, and the run replaces it with "
                                  f"a file of its own; remove it or pass another {option}")
