"""The options of a run, each defined once: its name, environment variable, default and the
values it accepts, for both ``scimcheck run``/``replay`` (``--NAME``) and the pytest plugin
(``--scim-NAME``), so the two resolve and judge a value alike (docs/cli.md).

A value comes from the command line, else the environment, else a pytest ini key, else the
default (:func:`resolve`). A bad one is a :class:`~scimcheck.core.errors.ConfigError` whose one
line names where it came from and what to pass: numbers are finite and in range
(:mod:`scimcheck.core.numeric`), a URL is a usable SCIM base URL
(:mod:`scimcheck.http.target_url`), a token can be sent in a header (RFC 6750 §2.1,
:mod:`scimcheck.http.bearer`), a proxy is ``http(s)://[user:password@]host:port``
(:mod:`scimcheck.http.proxy_url`). TLS verification (``--ca-bundle``/``--insecure``,
``SCIM_CA_BUNDLE``/``SCIM_INSECURE``) is resolved by :func:`scimcheck.http.tls.resolve`; the
extra headers (``--header``/``--secret-header``, repeatable) by :func:`extra_headers`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scimcheck import TOKEN_ENV
from scimcheck.core import numeric
from scimcheck.core.errors import ConfigError
from scimcheck.http import bearer, proxy_url, target_url
from scimcheck.http.extra_headers import ExtraHeader, parse_all
from scimcheck.settings.run import DEFAULT_DEADLINE_S, DEFAULT_EXAMPLES, DEFAULT_IN_FLIGHT

DIALECT_CHOICES = ("legacy", "compliant", "both")
"""Entra's PATCH dialects a run replays (docs/entra.md): one, the other, or both."""
_YES = ("1", "true", "yes")
_NO = ("", "0", "false", "no")


@dataclass(frozen=True)
class Option:
    """One option of a run: ``--NAME`` on the command line, ``--scim-NAME`` under pytest,
    ``env`` in the environment. At most one of ``number``, ``choices``, ``switch`` and
    ``check`` says what it accepts (none: any text)."""

    name: str
    env: str
    default: Any = None
    number: numeric.Range | None = None
    choices: tuple[str, ...] = ()
    switch: bool = False
    """On or off: the variable is 1/true/yes or 0/false/no."""
    check: Callable[[str, str], object] | None = None
    """Judges a text value named by its second argument; ``ConfigError`` when it is bad."""
    strip: bool = True
    """Surrounding blanks of the variable are dropped (never a token's: they are part of it)."""
    repeatable: bool = False
    """Given any number of times on the command line; its variable holds one value a line."""

    @property
    def flag(self) -> str:
        """The command line's name for it: ``--retry-budget``."""
        return "--" + self.name.replace("_", "-")

    @property
    def plugin_flag(self) -> str:
        """The pytest plugin's name for it: ``--scim-retry-budget``."""
        return "--scim-" + self.name.replace("_", "-")

    @property
    def plugin_dest(self) -> str:
        """The plugin option's ``config.getoption`` name: ``scim_retry_budget``."""
        return "scim_" + self.name

    def given(self, value: Any, label: str | None = None) -> Any:
        """A command-line value (argparse already typed it) when it is acceptable; ``label``
        names it in the message (default :attr:`flag`)."""
        label = label or self.flag
        if self.number is not None:
            return numeric.check_option(label, value, self.number)
        if self.choices and value not in self.choices:
            raise ConfigError(f"{label} {value!r} is not one of {', '.join(self.choices)}")
        if self.check is not None:
            self.check(str(value), label)
        return value

    def from_text(self, text: str, label: str) -> Any:
        """A value written as text (a variable, an ini key) named ``label``; ``None`` when it
        is empty (as if unset)."""
        if self.strip:
            text = text.strip()
        if not text:
            return None
        if self.number is not None:  # numeric's message for a variable: LABEL='text' is not …
            return numeric.from_environment(label, self.number, {label: text})
        if self.choices and text not in self.choices:
            raise ConfigError(f"{label}={text!r} is not one of {', '.join(self.choices)}")
        if self.switch:
            word = text.lower()
            if word not in _YES + _NO:
                raise ConfigError(f"{label}={word!r} is not 1/true/yes or 0/false/no")
            return word in _YES
        if self.check is not None:
            self.check(text, label)
        return text

    def from_environment(self, environ: Mapping[str, str]) -> Any:
        """The variable's value, judged; ``None`` when it is unset or empty."""
        return self.from_text(environ.get(self.env, ""), self.env)


def resolve(
    option: Option, given: Any, environ: Mapping[str, str], ini: str | None = None,
    *, flag: str | None = None,
) -> Any:
    """``option``'s value: the command line's (``given``, named ``flag``), else the
    environment's, else the pytest ini key's, else the default. Only the source used is
    judged (a flag overrides a variable without reading it); ``ConfigError`` when it is bad."""
    if given is not None:
        return option.given(given, flag)
    value = option.from_environment(environ)
    if value is None and ini is not None:
        value = option.from_text(ini, f"{option.name} (ini)")
    return option.default if value is None else value


def check_environment(chosen: Iterable[Option], environ: Mapping[str, str]) -> None:
    """Judge the variables of ``chosen`` that are set, flags or not: a run stops on a bad one
    before anything starts. ``ConfigError`` with the first bad one's line."""
    for option in chosen:
        option.from_environment(environ)


def _url(value: str, label: str) -> object:
    return target_url.check(value, label)


def _token(value: str, label: str) -> object:
    return bearer.check(value, label)


def _one_line(value: str, label: str) -> object:
    return bearer.check(value, label, what="an OAuth client id, secret or scope")

def _proxy(value: str, label: str) -> object:
    return proxy_url.check(value, label)


URL = Option("url", "SCIM_URL", check=_url)
"""The SCIM base URL under test (none: ``scimcheck run`` tests the embedded server)."""
TOKEN = Option("token", TOKEN_ENV, check=_token, strip=False)
"""The bearer token (prefer the variable: a flag shows up in process lists)."""
PROFILE = Option("profile", "SCIM_PROFILE")
"""The attribute-mapping profile, a bundled name or a file (none: entra-app)."""
DIALECT = Option("dialect", "SCIM_DIALECT", "both", choices=DIALECT_CHOICES)
STRICT = Option("strict", "SCIM_STRICT", False, switch=True)
"""Fail the run on rfc-should checks too."""
TIMEOUT = Option("timeout", "SCIM_TIMEOUT", None, numeric.SECONDS)
"""Seconds to wait for each response (none: Entra's limit of 60 s, the transport's
``ENTRA_TIMEOUT_S``)."""
SEED = Option("seed", "SCIM_SEED", None, numeric.SEED)
"""Seed for generated users and Hypothesis (none: the run's random seed, shown)."""
EXAMPLES = Option("examples", "SCIM_EXAMPLES", DEFAULT_EXAMPLES, numeric.EXAMPLES)
"""Hypothesis examples per generated-user property (0 skips the properties)."""
MAX_RPS = Option("max_rps", "SCIM_MAX_RPS", None, numeric.RATE)
"""At most this many requests per second (none: no cap)."""
IN_FLIGHT = Option("in_flight", "SCIM_IN_FLIGHT", DEFAULT_IN_FLIGHT, numeric.IN_FLIGHT)
"""At most this many independent requests at once (1: one by one); split over -n workers."""
RETRY_BUDGET = Option("retry_budget", "SCIM_RETRY_BUDGET", 120.0, numeric.WAIT_BUDGET)
"""Most time to wait in all for Retry-After on 429/503."""
DEADLINE = Option("deadline", "SCIM_DEADLINE", DEFAULT_DEADLINE_S, numeric.RUN_DEADLINE)
"""Start no test after this many seconds; the rest are not evaluated."""
OAUTH_TOKEN_URL = Option("oauth_token_url", "SCIM_OAUTH_TOKEN_URL", check=_url)
"""OAuth 2.0 client credentials (RFC 6749 §4.4): the token endpoint. With it, every request
carries an access token fetched there instead of ``--token`` (:mod:`scimcheck.settings.oauth`;
the client secret comes from ``SCIM_CLIENT_SECRET`` only)."""
CLIENT_ID = Option("client_id", "SCIM_CLIENT_ID", check=_one_line)
"""The OAuth client id (needs ``--oauth-token-url``)."""
SCOPE = Option("scope", "SCIM_SCOPE", check=_one_line)
"""The OAuth scope to ask for (none: the token endpoint's default)."""
CLIENT_AUTH = Option("client_auth", "SCIM_CLIENT_AUTH", "basic", choices=("basic", "post"))
"""How the client authenticates at the token endpoint: HTTP Basic (RFC 6749 §2.3.1) or
``client_id``/``client_secret`` in the form body."""
OAUTH = (OAUTH_TOKEN_URL, CLIENT_ID, SCOPE, CLIENT_AUTH)
"""The OAuth client-credentials options, on every command that talks to an endpoint."""

PROXY = Option("proxy", "SCIM_PROXY", check=_proxy)
"""Send every request through this proxy (none: ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY``, as
requests reads them)."""
HEADER = Option("header", "SCIM_HEADERS", repeatable=True)
"""``Name: value`` added to every request (repeatable; the variable: one a line)."""
SECRET_HEADER = Option("secret_header", "SCIM_SECRET_HEADERS", repeatable=True)
"""``Name=VARIABLE`` (or ``Name: value``) added to every request, its value redacted."""

OPTIONS = (URL, TOKEN, PROFILE, DIALECT, STRICT, TIMEOUT, SEED, EXAMPLES, MAX_RPS, IN_FLIGHT,
           RETRY_BUDGET, DEADLINE, *OAUTH, PROXY, HEADER, SECRET_HEADER)
"""Every option a run reads from the environment."""
NUMBERS = tuple(option for option in OPTIONS if option.number is not None)
"""The numeric ones: ``scimcheck run`` and ``replay`` judge their variables before starting."""


def extra_headers(
    plain: list[str] | None, secret: list[str] | None, environ: Mapping[str, str], *,
    plugin: bool = False,
) -> tuple[ExtraHeader, ...]:
    """The extra headers of a run: each kind from the command line (``--header``,
    ``--secret-header``; ``--scim-…`` under pytest), else its variable's lines; a secret
    header's ``VARIABLE`` is read from ``environ``. ``ConfigError`` with one line when one
    cannot be sent or would replace a header scimcheck sends itself."""
    flag = HEADER.plugin_flag if plugin else HEADER.flag
    secret_flag = SECRET_HEADER.plugin_flag if plugin else SECRET_HEADER.flag
    if not plain:
        plain, flag = _lines(environ.get(HEADER.env, "")), HEADER.env
    if not secret:
        secret, secret_flag = _lines(environ.get(SECRET_HEADER.env, "")), SECRET_HEADER.env
    return parse_all(plain, secret, environ, plain_label=flag, secret_label=secret_flag)


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]
