"""The run's options are defined once (scimcheck.settings.options) and resolved alike by
``scimcheck run`` and the pytest plugin: command line > environment > ini key > default, each
value judged with the one line docs/cli.md documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from scimcheck.cli import arguments
from scimcheck.core.errors import ConfigError
from scimcheck.settings import options

DOCS = Path(__file__).parents[2] / "docs" / "cli.md"


@pytest.mark.parametrize("option", options.OPTIONS, ids=lambda o: o.name)
def test_each_option_is_documented_and_known_to_the_plugin(
    option: options.Option, pytester: pytest.Pytester
) -> None:
    assert option.env in DOCS.read_text(encoding="utf-8")
    config = pytester.parseconfig()  # the plugin comes through its pytest11 entry point
    assert config.getoption(option.plugin_dest) is None, option.plugin_flag


def test_the_command_line_judges_numbers_by_the_same_table() -> None:
    for option in options.NUMBERS:
        assert arguments.NUMBERS[option.name] is option.number


@pytest.mark.parametrize(
    ("given", "environ", "ini", "expected"),
    [
        (7.0, {"SCIM_TIMEOUT": "5"}, "3", 7.0),  # the flag wins, its variable unread
        (None, {"SCIM_TIMEOUT": " 5 "}, "3", 5.0),
        (None, {"SCIM_TIMEOUT": "  "}, "3", 3.0),  # empty is as if unset
        (None, {}, None, None),  # none: the transport's 60 s
    ],
)
def test_command_line_then_environment_then_ini_then_default(
    given: float | None, environ: dict[str, str], ini: str | None, expected: float | None
) -> None:
    assert options.resolve(options.TIMEOUT, given, environ, ini) == expected


@pytest.mark.parametrize(
    ("option", "given", "environ", "message"),
    [
        (options.TIMEOUT, float("inf"), {}, "--scim-timeout inf is not a number of seconds"),
        (options.TIMEOUT, None, {"SCIM_TIMEOUT": "nan"}, "SCIM_TIMEOUT='nan' is not"),
        (options.SEED, None, {"SCIM_SEED": "9" * 5000}, "SCIM_SEED='99999"),
        (options.DIALECT, None, {"SCIM_DIALECT": "modern"},
         "SCIM_DIALECT='modern' is not one of legacy, compliant, both"),
        (options.STRICT, None, {"SCIM_STRICT": "Perhaps"}, "SCIM_STRICT='perhaps' is not"),
        (options.URL, None, {"SCIM_URL": "http://[::1"}, "SCIM_URL 'http://[::1' has an IPv6"),
        (options.TOKEN, None, {"SCIM_TOKEN": "abc\n"}, "SCIM_TOKEN contains a line break"),
    ],
    ids=["flag-inf", "env-nan", "env-digits", "dialect", "strict", "url", "token"],
)
def test_a_bad_value_is_one_line_naming_its_source(
    option: options.Option, given: object, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        options.resolve(option, given, environ, flag=option.plugin_flag)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_switches_and_defaults() -> None:
    assert options.resolve(options.STRICT, None, {"SCIM_STRICT": "Yes"}) is True
    assert options.resolve(options.STRICT, None, {"SCIM_STRICT": "0"}) is False
    assert options.resolve(options.STRICT, True, {"SCIM_STRICT": "0"}) is True
    assert options.resolve(options.DIALECT, None, {}) == "both"
    assert options.resolve(options.EXAMPLES, None, {}) == 40
    assert options.resolve(options.TOKEN, None, {"SCIM_TOKEN": " tok "}) == " tok "  # as given
