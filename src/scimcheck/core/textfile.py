"""Reading a text file the user named (a profile, a sequence file, a failure record).

Whatever the file is, reading it ends in its text or in an ``OSError`` whose ``strerror`` says
what is wrong: bytes that are not UTF-8, a device or FIFO (``/dev/zero`` would never end), a
file too large to be one of these. Callers keep their one ``except OSError``.
"""

from __future__ import annotations

import errno
from pathlib import Path

MAX_BYTES = 16 * 1024 * 1024
"""Larger than any profile, sequence file or failure record (they are a few kB)."""


def read(path: Path, limit: int = MAX_BYTES) -> str:
    """The UTF-8 text of ``path``; ``OSError`` with a readable ``strerror`` when it has none."""
    if path.exists() and not path.is_dir() and not path.is_file():
        raise OSError(errno.EINVAL, "not a regular file")
    with path.open("rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"larger than {limit // (1024 * 1024)} MiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OSError(
            errno.EILSEQ,
            f"not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start})",
        ) from None
