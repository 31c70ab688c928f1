"""The redaction boundary (scimcheck.http.redaction, issue 13 §4 and §1): every form of a secret is
found and removed, whatever surrounds it, without breaking the JSON, XML or HTML it sits in;
server-chosen text reaches a terminal with its control characters escaped."""

from __future__ import annotations

import base64
import io
import json
import logging
from pathlib import Path
from urllib.parse import quote, quote_plus
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from scimcheck.http import redaction
from scimcheck.http.redaction import RedactingStream, for_terminal
from scimcheck.http.redactor import REDACTED, Redactor

TOKEN = "tok/S3CRET+41f0c9e2_never-printed"

_secrets = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12)
_texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)


def _forms(secret: str) -> list[str]:
    """Ways outputs hold a value (independent of the module's own list)."""
    data = secret.encode()
    return [
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1].replace("/", "\\/"),
        "".join(f"\\u{ord(c):04x}" if ord(c) < 0x10000 else json.dumps(c)[1:-1]
                for c in secret),
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(data).decode(),
        base64.urlsafe_b64encode(data).decode().rstrip("="),
        base64.b64encode(b"scim:" + data).decode(),
    ]


@pytest.mark.parametrize("form", _forms(TOKEN))
def test_each_form_of_the_token_is_found_and_removed(form: str) -> None:
    redactor = Redactor([TOKEN])
    text = f"before {form} after"
    assert redactor.found(text)
    cleaned = redactor.redact(text)
    assert not redactor.found(cleaned)
    assert cleaned.startswith("before ") and REDACTED in cleaned


def test_base64_of_the_token_inside_a_longer_blob_is_found_at_every_alignment() -> None:
    redactor = Redactor([TOKEN])
    for prefix in (b"", b"x", b"xy", b"Authorization: Bearer "):
        blob = base64.b64encode(prefix + TOKEN.encode() + b" and more").decode()
        assert redactor.found(blob), prefix


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(secret=_secrets, before=_texts, after=_texts, ascii_only=st.booleans(),
       slashes=st.booleans())
@example(secret="n", before="\n", after="", ascii_only=False, slashes=False)
@example(secret="0a", before="\u00a9", after="", ascii_only=True, slashes=False)
@example(secret="x\\", before="", after='"', ascii_only=False, slashes=False)
@example(secret="\\u", before="\\u0041", after="", ascii_only=True, slashes=False)
def test_a_redacted_json_document_stays_valid_json_without_the_secret(
    secret: str, before: str, after: str, ascii_only: bool, slashes: bool
) -> None:
    """Whatever the secret and whatever surrounds it, in whichever JSON spelling: the text
    left holds no form of it and still parses (unless the secret is spelled by the document's
    own punctuation, which must then go too)."""
    assume(not any(f in json.dumps({"k": "", "": [""]}) for f in _forms(secret)))
    redactor = Redactor([secret])
    text = json.dumps({"k": before + secret + after, secret: [secret]}, ensure_ascii=ascii_only)
    if slashes:
        text = text.replace("/", "\\/")
    cleaned = redactor.redact(text)
    assert not redactor.found(cleaned)
    parsed = json.loads(cleaned)
    assert secret not in json.dumps(parsed, ensure_ascii=False)


@settings(max_examples=200, deadline=None)
@given(secret=_secrets.filter(lambda s: all(c.isprintable() for c in s)), before=_texts)
def test_a_redacted_xml_document_stays_well_formed(secret: str, before: str) -> None:
    assume(not any(f in '<case message=""></case>' for f in _forms(secret)))
    redactor = Redactor([secret])
    element = ElementTree.Element("case", message=secret + before)
    element.text = before + secret
    printable = ElementTree.tostring(element, encoding="unicode")
    if any(not c.isprintable() for c in before):
        return  # XML 1.0 cannot hold most control characters at all
    cleaned = redactor.redact(printable, markup=True)
    assert not redactor.found(cleaned)
    ElementTree.fromstring(cleaned)


def test_a_short_token_is_redacted_and_warned_about_once() -> None:
    redactor = Redactor(["q/7+Z"])
    assert redactor.redact('{"debug": "q\\/7+Z", "link": "?t=q%2F7%2BZ"}') == (
        '{"debug": "<redacted>", "link": "?t=<redacted>"}'
    )
    assert redaction.short_secret_warning("q/7+Z") is not None
    assert redaction.short_secret_warning(TOKEN) is None


def test_a_secret_inside_the_marker_gets_another_marker() -> None:
    redactor = Redactor(["red"])
    assert redactor.redact("redish") == f"{redactor.marker}ish"
    assert "red" not in redactor.marker


def test_a_url_password_and_secret_query_values_are_secrets() -> None:
    url = ("https://scim:pa55w0rd-x@app.example/scim/v2?access_token=abc123xyz&page=2"
           "&country_code=1")
    assert redaction.url_secrets(url) == ["pa55w0rd-x", "abc123xyz"]
    with redaction.registered(*redaction.url_secrets(url)):
        assert redaction.redact(f"GET {url}") == (
            "GET https://scim:<redacted>@app.example/scim/v2?access_token=<redacted>&page=2"
            "&country_code=1"
        )
    assert redaction.redact("pa55w0rd-x") == "pa55w0rd-x"  # forgotten after the block


def test_a_stream_redacts_a_token_written_in_pieces() -> None:
    below = io.StringIO()
    with redaction.registered(TOKEN):
        stream = RedactingStream(below)
        stream.write("Bearer " + TOKEN[:5])
        stream.write(TOKEN[5:] + " end\npartial")
        assert below.getvalue() == f"Bearer {REDACTED} end\n"
        stream.flush()
    assert below.getvalue() == f"Bearer {REDACTED} end\npartial"


def test_log_records_are_redacted_and_escaped_whatever_handler_writes_them() -> None:
    below = io.StringIO()
    handler = logging.StreamHandler(below)
    logger = logging.getLogger("scimcheck-test-redaction")
    logger.addHandler(handler)
    try:
        with redaction.registered(TOKEN):
            redaction.install_log_redaction()
            try:
                logger.warning("unparsed header %r", f"X-{TOKEN}: \x1b[2J")
            finally:
                redaction.uninstall_log_redaction()
    finally:
        logger.removeHandler(handler)
    assert TOKEN not in below.getvalue() and "\x1b" not in below.getvalue()
    assert REDACTED in below.getvalue()


@pytest.mark.parametrize("control", ["\x1b", "\r", "\x08", "\x00", "\x7f", "\x9b", "\u202e",
                                     "\u2066", "\u2028", "\u2029", "\n"])
def test_control_characters_are_escaped_for_the_terminal(control: str) -> None:
    shown = for_terminal(f"scimcheck-0badc0de-{control}[32mPASSED")
    assert control not in shown
    assert shown.startswith("scimcheck-0badc0de-\\")


def test_multiline_terminal_text_keeps_its_lines_and_tabs() -> None:
    assert for_terminal("a\n\tb\r\x1b", multiline=True) == "a\n\tb\\r\\x1b"


def test_a_file_another_tool_wrote_is_swept_only_when_it_holds_a_secret(
    tmp_path: Path,
) -> None:
    """The last line of defence for junit.xml and report.html: a data: URI or an attribute
    holding the token is rewritten with a marker that needs no escaping in markup."""
    page = tmp_path / "report.html"
    blob = base64.b64encode(f"transcript: Bearer {TOKEN}\n".encode()).decode()
    page.write_text(f'<a href="data:text/plain;base64,{blob}" title="{TOKEN}">t</a>',
                    encoding="utf-8")
    clean = tmp_path / "junit.xml"
    clean.write_text("<testsuites/>", encoding="utf-8")
    with redaction.registered(TOKEN) as redactor:
        assert redaction.sweep_file(page) and not redaction.sweep_file(clean)
        swept = page.read_text(encoding="utf-8")
        assert not redactor.found(swept)
    assert 'title="[redacted]"' in swept
    assert clean.read_text(encoding="utf-8") == "<testsuites/>"


def test_a_lone_surrogate_from_an_endpoint_is_written_and_printed_as_its_escape(
    tmp_path: Path,
) -> None:
    """JSON may carry ``"\\ud800"`` (RFC 8259 §8.2 allows it); Python then holds a lone
    surrogate that UTF-8 cannot encode. Files get the JSON escape back, terminals the same."""
    value = json.loads('"id-\\ud800"')
    target = tmp_path / "results.json"
    redaction.write_text(target, redaction.dumps_json({"id": value}))
    assert json.loads(target.read_text(encoding="utf-8")) == {"id": value}
    assert redaction.for_terminal(value) == "id-\\ud800"
