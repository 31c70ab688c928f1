"""junit.xml with one test case per check, so CI test views list checks, not pytest items.

Each registered check is a ``<testcase>`` named by its id in the class of its capability, with
its level, source, link and outcome as properties:

- failed at a level that fails the run (or held only with a workaround at such a level): a
  ``<failure>`` whose message is the first failure and whose text lists every one;
- failed below the failing level (a finding the run does not fail on): a pass, with the finding
  in ``<system-out>`` and the property ``outcome=failed``;
- not evaluated: ``<skipped>`` with the reason.

Messages quote the endpoint: characters XML 1.0 cannot hold are dropped, and the file is written
through the redacting writer like every other report.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree

from scimcheck.checks.registry import Level

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
TEXT_LIMIT = 64 * 1024
"""Characters of failure text per test case; results.json keeps every failure whole."""


def _xml_text(text: str, limit: int = TEXT_LIMIT) -> str:
    clean = _NOT_XML.sub("", text)
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def _fails(check: dict[str, Any], strict: bool) -> bool:
    if check["fails_run"]:
        return True
    return check["outcome"] == "workaround" and Level(check["level"]).fails_run(strict)


def render(document: dict[str, Any]) -> bytes:
    """The JUnit XML of a results document."""
    strict = bool(document.get("strict"))
    checks = document["checks"]
    failures = sum(_fails(c, strict) for c in checks)
    skipped = sum(c["outcome"] == "skipped" for c in checks)
    errors = sum(c["outcome"] == "error" for c in checks)
    counts = {"tests": str(len(checks)), "failures": str(failures), "errors": str(errors),
              "skipped": str(skipped), "time": f"{document.get('duration_s', 0):.3f}"}
    suites = ElementTree.Element("testsuites", {"name": "scimcheck", **counts})
    suite = ElementTree.SubElement(suites, "testsuite", {
        "name": _xml_text(f"scimcheck: Entra readiness of {document['target']}"),
        "timestamp": document.get("started", ""), **counts,
    })
    properties = ElementTree.SubElement(suite, "properties")
    for name in ("target", "profile", "verdict", "seed", "run_id"):
        if document.get(name) is not None:
            ElementTree.SubElement(properties, "property", name=name,
                                   value=_xml_text(str(document[name])))
    ElementTree.SubElement(properties, "property", name="dialects",
                           value=", ".join(document["dialects"]))
    for check in checks:
        case = ElementTree.SubElement(
            suite, "testcase", classname=f"scimcheck.{check['capability']}", name=check["id"],
            time="0",
        )
        own = ElementTree.SubElement(case, "properties")
        for name in ("level", "capability", "source", "url", "outcome"):
            if check.get(name) is not None:
                ElementTree.SubElement(own, "property", name=name,
                                       value=_xml_text(str(check[name])))
        if _fails(check, strict):
            failure = ElementTree.SubElement(
                case, "failure", type=check["level"], message=_xml_text(check["message"], 2000)
            )
            failure.text = _xml_text(_failure_text(check))
        elif check["outcome"] == "skipped":
            ElementTree.SubElement(case, "skipped",
                                   message=_xml_text(f"not evaluated: {check['message']}", 2000))
        elif check["outcome"] == "error":
            error = ElementTree.SubElement(case, "error", message=_xml_text(check["message"], 2000))
            error.text = _xml_text(check["message"])
        elif check["outcome"] in ("failed", "workaround"):
            out = ElementTree.SubElement(case, "system-out")
            out.text = _xml_text(
                f"finding below the failing level ({check['level']}): {_failure_text(check)}"
            )
    return bytes(ElementTree.tostring(suites, encoding="utf-8", xml_declaration=True))


def _failure_text(check: dict[str, Any]) -> str:
    lines = [f"{check['title']}", f"What Entra suffers: {check.get('consequence', '')}",
             f"Fix: {check.get('fix', '')}", ""]
    for failure in check.get("failures") or []:
        lines.append(f"{failure.get('test', '')}: {failure.get('message', '')}")
    if not check.get("failures"):
        lines.append(check["message"])
    return "\n".join(lines)
