"""The repro script: curl commands that replay a request chain, with no secret in them."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scimcheck.http.curl import render_script
from scimcheck.http.shell_words import comment, shell_word
from scimcheck.http.transport import Transport, TransportConfig
from scimcheck.server import ReferenceServer
from support.harness import TEST_TOKEN

AWKWARD = 'O\'Brien "Bob" \\ $HOME `id` 𝄞'


def _chain(server: ReferenceServer) -> list:  # type: ignore[type-arg]
    with Transport(TransportConfig(server.base_url, TEST_TOKEN, 10)) as transport:
        created = transport.send("POST", "/Users", body={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "curl@example.com", "displayName": AWKWARD,
        })
        user_id = created.json()["id"]
        transport.send("GET", f"/Users/{user_id}")
        transport.send("GET", "/Users", params={"filter": 'userName eq "curl@example.com"'})
        transport.send("DELETE", f"/Users/{user_id}")
        return list(transport.exchanges)


def test_the_script_names_no_secret_and_captures_ids(reference_server: ReferenceServer) -> None:
    chain = _chain(reference_server)
    script = render_script(chain, reference_server.base_url, "a title")
    assert TEST_TOKEN not in script
    assert '"Authorization: Bearer $SCIM_TOKEN"' in script
    user_id = chain[0].json()["id"]
    assert user_id not in script  # replaced by the captured ${ID1}
    assert '"$SCIM_URL"/Users/"$ID1_PATH"' in script  # percent-encoded at run time
    assert "-H 'User-Agent:' -H 'Accept:'" in script  # Entra sends neither
    assert '\n  "userName": "curl@example.com",\n' in script  # the body, pretty-printed


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_the_script_replays_awkward_values_exactly(reference_server: ReferenceServer) -> None:
    script = render_script(_chain(reference_server), reference_server.base_url)
    with ReferenceServer(host="127.0.0.1", port=0, token=TEST_TOKEN) as fresh:
        replay = subprocess.run(
            ["bash", "-c", script], capture_output=True, text=True, timeout=60,
            env={"PATH": "/usr/bin:/bin:/usr/local/bin", "SCIM_URL": fresh.base_url,
                 "SCIM_TOKEN": TEST_TOKEN},
        )
    assert replay.returncode == 0, replay.stderr
    # the GET and the filter echo it (the POST's answer feeds ${ID1})
    assert replay.stdout.count('O\'Brien \\"Bob\\" \\\\ $HOME `id` 𝄞') == 2


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_a_secret_header_is_read_from_the_environment_when_replayed(
    reference_server: ReferenceServer,
) -> None:
    """A --secret-header is recorded as <redacted>: the script sends SCIM_HEADER_<NAME>'s
    value instead, and stops when it is unset; its name stays a literal (a header name may
    hold ` and $, RFC 9110 §5.6.2)."""
    from scimcheck.http.extra_headers import ExtraHeader

    name, secret = "X-`id`$HOME", "gw-key-0b7e-never-in-the-script"
    config = TransportConfig(reference_server.base_url, TEST_TOKEN, 10,
                             headers=(ExtraHeader(name, secret, secret=True),))
    with Transport(config) as transport:
        transport.send("GET", "/Users", params={"count": "1"})
        script = render_script(transport.exchanges, reference_server.base_url)
    assert secret not in script and "<redacted>" not in script
    variable = "SCIM_HEADER_X__ID__HOME"
    environ = {"PATH": "/usr/bin:/bin:/usr/local/bin", "SCIM_URL": reference_server.base_url,
               "SCIM_TOKEN": TEST_TOKEN}
    unset = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                           env=environ)
    assert unset.returncode != 0 and f"set {variable}" in unset.stderr
    replay = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                            timeout=60, env={**environ, variable: secret})
    assert replay.returncode == 0, replay.stderr
    assert '"totalResults": ' in replay.stdout  # the endpoint answered the replayed GET


_hostile = st.text(alphabet=st.one_of(
    st.characters(), st.sampled_from("\\'\"$`\n\r\x00\x1b\x85\u2028\u202e\U0001d11e")))


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@settings(max_examples=100, deadline=None)
@given(text=_hostile.filter(lambda s: "\0" not in s), multiline=st.booleans())
def test_a_shell_word_stands_for_exactly_its_text(text: str, multiline: bool) -> None:
    word = shell_word(text, multiline=multiline)
    assert "\n" not in word or multiline
    bash = shutil.which("bash") or "bash"
    shown = subprocess.run([bash, "-c", f"printf '%s' {word}"], capture_output=True, timeout=30,
                           env={"PATH": "", "LC_ALL": "C"})
    assert shown.stdout == text.encode("utf-8", "surrogatepass")  # lone surrogates too


@settings(max_examples=100, deadline=None)
@given(text=_hostile)
def test_a_comment_is_one_line_of_printable_text(text: str) -> None:
    line = comment(text)
    assert line.startswith("#")
    assert line.isprintable(), line


def test_a_comment_tells_an_escape_from_the_character() -> None:
    assert comment("a\nb") == "# a\\nb"
    assert comment("a\\nb") == "# a\\\\nb"


def test_a_shell_word_refuses_a_nul() -> None:
    with pytest.raises(ValueError, match="NUL"):
        shell_word("a\0b")
