"""Faker instances for generated users: one per locale per process, with only the providers
scimcheck draws from.

``Faker(locale)`` imports all of Faker's ~25 providers in that locale and lists each one's
locales on disk: about 0.2 s of CPU for the 12 locales generation uses. The eight providers
below (person, job, address, company, internet, phone number, lorem, and date/time, which
address and internet formats call) take about half that, and give the same value for the same
seed as a full instance (``tests/generate/test_strategies.py``).
"""

from __future__ import annotations

from faker import Faker

PROVIDERS = tuple(
    f"faker.providers.{name}"
    for name in ("person", "job", "address", "company", "internet", "phone_number", "lorem",
                 "date_time")
)
_SHARED: dict[str, Faker] = {}


def new(locale: str) -> Faker:
    """A Faker of its own in ``locale`` (for a caller that keeps its own seeded sequence)."""
    return Faker(locale, providers=list(PROVIDERS))


def seeded(locale: str, seed: int | str) -> Faker:
    """This process's Faker in ``locale``, seeded with ``seed``: use it before the next call."""
    fake = _SHARED.get(locale)
    if fake is None:
        fake = _SHARED[locale] = new(locale)
    fake.seed_instance(seed)
    return fake
