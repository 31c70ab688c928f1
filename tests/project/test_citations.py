"""Every document the shipped text cites is shipped too, and every section it cites exists.

A check's source, a variant's docstring or a sequence file that says "see X.md §1.3" must send the
reader to a page this project ships: a citation of a file only its developers had is a dead end for
a vendor. Citations of docs/entra.md must also name a section (§1.0-style) or a defect (D1-style)
that the page really has.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("src", "suites", "fixtures", "schemas", "docs", "benchmarks", "tests")
SHIPPED_FILES = ("README.md", "conftest.py", "pyproject.toml", "tox.ini")
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".json", ".toml", ".ini", ".txt", ".html", ".j2"}
MD_REFERENCE = re.compile(r"(?<![\w/.:-])((?:[\w.-]+/)*[\w.-]+\.md)\b")
# A path inside another public repository, named as such next to its link (docs/entra.md S9).
EXTERNAL_PATHS = {"articles/active-directory/active-directory-scim-provisioning.md"}
ENTRA_CITATION = re.compile(r"docs/entra\.md((?:[ ,;]+(?:§[\d.]*\d|D\d+|S\d+))+)")
THIS_FILE = Path(__file__).resolve()


def shipped_texts() -> list[Path]:
    found = [ROOT / name for name in SHIPPED_FILES if (ROOT / name).exists()]
    for folder in SHIPPED:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in TEXT_SUFFIXES and path != THIS_FILE:
                found.append(path)
    return found


def resolves(reference: str, cited_from: Path) -> bool:
    """A cited page exists next to the citing file, from the root, or under docs/."""
    return any(
        (base / reference).is_file()
        for base in (cited_from.parent, ROOT, ROOT / "docs")
    )


def entra_sections() -> tuple[set[str], set[str], set[str]]:
    text = (ROOT / "docs" / "entra.md").read_text(encoding="utf-8")
    sections = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)[. ]", text, flags=re.MULTILINE))
    defects = set(re.findall(r"^\| (D\d+) \|", text, flags=re.MULTILINE))
    sources = set(re.findall(r"^\| (S\d+) \|", text, flags=re.MULTILINE))
    return sections, defects, sources


def test_no_shipped_text_cites_a_page_the_project_does_not_ship() -> None:
    dead: list[str] = []
    for path in shipped_texts():
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            for reference in MD_REFERENCE.findall(line):
                if reference in EXTERNAL_PATHS or resolves(reference, path):
                    continue
                dead.append(f"{path.relative_to(ROOT)}:{number}: {reference}")
    assert not dead, "shipped text cites pages the project does not ship:\n" + "\n".join(dead)


def test_every_entra_citation_names_a_section_or_defect_the_page_has() -> None:
    sections, defects, sources = entra_sections()
    assert {"1.0", "1.9", "2", "7"} <= sections and "D34" in defects and "S16" in sources
    wrong: list[str] = []
    cited = 0
    for path in shipped_texts():
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in ENTRA_CITATION.finditer(text):
            for part in re.findall(r"§[\d.]*\d|D\d+|S\d+", match.group(1)):
                cited += 1
                known = (
                    part[1:] in sections if part.startswith("§")
                    else part in defects if part.startswith("D") else part in sources
                )
                if not known:
                    line = text.count("\n", 0, match.start()) + 1
                    wrong.append(f"{path.relative_to(ROOT)}:{line}: {part}")
    assert cited > 0, "no citation of docs/entra.md found: the scan itself is broken"
    assert not wrong, "citations of docs/entra.md name no such section:\n" + "\n".join(wrong)


@pytest.mark.parametrize(
    ("reference", "dead"),
    [("docs/cli.md", False), ("entra-behavior.md", True), ("docs/nowhere.md", True)],
)
def test_the_citation_scan_tells_a_shipped_page_from_a_dead_one(reference: str, dead: bool) -> None:
    line = f"source: {reference} §1.2"
    assert MD_REFERENCE.findall(line) == [reference]
    assert resolves(reference, ROOT / "src" / "scimcheck" / "checks.py") is not dead
