"""What ``scimcheck load`` sends: Entra's provisioning cycles as a plan of jobs.

An Entra job's initial cycle (docs/entra.md §1.2, §1.6, §5) matches then creates every
in-scope user (``GET /Users?filter=userName eq "…"`` then ``POST /Users``), then every group
(``GET /Groups?excludedAttributes=members&filter=displayName eq "…"`` then ``POST /Groups``),
then adds the members with PATCH, many per request (at most 100: larger adds lose members on
some endpoints, D25). Incremental cycles follow: each user's mapped attributes change
(``Replace`` per path), a tenth of the users are disabled (``"False"``, the legacy dialect Entra
sends by default) and the tenth disabled before is re-enabled, and a tenth of each group's members
are removed (``Remove members`` with a value array) while the tenth removed before is added back.

A :class:`Plan` (one per tenant) hands out :class:`Job`\\ s: generators that yield the
:class:`LoadStep`\\ s of one object in order and receive each answer, so a create and its match go
out on one connection, as Entra sends them. A job that needs ids first yields :class:`Wait`.
Ids are learned only from this run's own tagged creates
(:class:`scimcheck.scim.ownership.Ledger`), so a PATCH can only ever name a resource this run
created. Nothing here sends anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from scimcheck.entra import requests
from scimcheck.entra.dialects import Dialect
from scimcheck.entra.requests import EntraRequest
from scimcheck.entra.userdata import GeneratedGroup, GeneratedUser, GroupFactory, UserFactory
from scimcheck.scim import endpoints, ownership, profiles

ENTRA_RPS_PER_TENANT = 25.0
"""Entra's gallery requirement: "Support at least 25 requests per second per tenant" (S1, D31)."""
MEMBER_BATCH = 100
"""Most members one PATCH adds or removes (D25: adds of 101+ members lose members)."""
CYCLE_SLICE = 10
"""Each incremental cycle disables one user in this many and removes one member in this many."""
RUN_ID = re.compile(r"^[0-9a-f]{8}$")


@dataclass(frozen=True)
class LoadSettings:
    """One load run, as the command line set it; sent to distributed workers as JSON."""

    run_id: str
    users: int
    groups: int
    rate: float
    """Requests per second offered in all (every tenant, every worker)."""
    duration_s: float
    tenants: int = 1
    concurrency: int = 1
    """Connections in all, each one request at a time (Locust users)."""
    seed: int = 0
    profile: str = "entra-app"
    timeout_s: float = 60.0

    @property
    def required_rps(self) -> float:
        """What the verdict asks: 25 requests per second for each tenant."""
        return ENTRA_RPS_PER_TENANT * self.tenants

    @property
    def tag(self) -> str:
        """The run tag every created resource carries."""
        return f"scimcheck-{self.run_id}"

    def to_json(self) -> str:
        """The settings as a JSON string (Locust forwards it to workers)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> LoadSettings:
        """The settings a master sent."""
        return cls(**json.loads(text))


@dataclass(frozen=True)
class LoadStep:
    """One request to send; ``name`` is its row in the statistics."""

    method: str
    path: str
    name: str
    params: dict[str, str] | None = None
    body: Any = None


@dataclass(frozen=True)
class Answer:
    """What came back for a step (``status`` ``None``: no answer; ``error`` says why)."""

    status: int | None
    body: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class Wait:
    """Yielded by a job that needs earlier jobs done first; resume once ``ready()``."""

    ready: Callable[[], bool]


Job = Generator["LoadStep | Wait", "Answer | None", None]


@dataclass
class _User:
    generated: GeneratedUser
    path: str | None = None
    done: bool = False
    revision: int = 0


@dataclass
class _Group:
    generated: GeneratedGroup
    path: str | None = None
    done: bool = False
    members: list[int] = field(default_factory=list)
    """Indexes of the users this group holds (all of them after the initial cycle)."""
    removed: list[int] = field(default_factory=list)


@dataclass
class Created:
    """One resource this run created: its path and tagged name (for cleanup)."""

    path: str
    name: str


class Plan:
    """Entra's cycles for one tenant: ``users`` users and ``groups`` groups, tagged ``tag``.

    ``next_job()`` hands out the initial cycle's jobs in Entra's order and then incremental
    cycles for as long as it is asked; ``None`` when there is nothing to do (every create
    failed). Used by one process's greenlets; no locking needed (no job yields mid-update).
    """

    def __init__(self, tag: str, users: int, groups: int, seed: int,
                 profile_name: str = "entra-app") -> None:
        profile = profiles.load(profile_name)
        user_factory = UserFactory(profile, tag, seed)
        group_factory = GroupFactory(profile, tag, seed + 1)
        self.tag = tag
        self.ledger = ownership.Ledger(tag)
        self.users = [_User(user_factory.new_user()) for _ in range(users)]
        self.groups = [_Group(group_factory.new_group()) for _ in range(groups)]
        self.created: list[Created] = []
        self.cycle = 0
        """0 during the initial cycle, then the incremental cycle being handed out."""
        self._jobs = self._all_jobs()

    def next_job(self) -> Job | None:
        """The next job, or ``None`` when a whole cycle had nothing to send."""
        return next(self._jobs, None)

    def owns(self, path: str) -> bool:
        """This run created ``path`` (a PATCH or DELETE may go there)."""
        return self.ledger.owns(path)

    # --- the order of Entra's cycles -----------------------------------------------------------
    def _all_jobs(self) -> Iterator[Job]:
        yield from (self._create_user(user) for user in self.users)
        yield from (self._create_group(group) for group in self.groups)
        for group in self.groups:
            for batch in _batches(list(range(len(self.users))), MEMBER_BATCH):
                yield self._add_members(group, batch, initial=True)
        while True:
            self.cycle += 1
            jobs = list(self._incremental(self.cycle))
            if not jobs:
                return
            yield from jobs

    def _incremental(self, cycle: int) -> Iterator[Job]:
        for index, user in enumerate(self.users):
            if user.path is None:
                continue
            yield self._update_user(user)
            if index % CYCLE_SLICE == cycle % CYCLE_SLICE:
                yield self._set_active(user, False)
            elif cycle > 1 and index % CYCLE_SLICE == (cycle - 1) % CYCLE_SLICE:
                yield self._set_active(user, True)
        for group in self.groups:
            if group.path is None:
                continue
            back, group.removed = group.removed, [
                i for n, i in enumerate(group.members) if n % CYCLE_SLICE == cycle % CYCLE_SLICE
            ]
            for batch in _batches(group.removed, MEMBER_BATCH):
                yield self._remove_members(group, batch)
            for batch in _batches(back, MEMBER_BATCH):
                yield self._add_members(group, batch, initial=False)

    # --- one object's requests ------------------------------------------------------------------
    def _create_user(self, user: _User) -> Job:
        generated = user.generated
        return self._match_then_create(
            user, "user", "userName", requests.match_user(generated.user_name),
            lambda: requests.create_user(generated.values),
        )

    def _create_group(self, group: _Group) -> Job:
        generated = group.generated
        return self._match_then_create(
            group, "group", "displayName", requests.match_group(generated.display_name),
            lambda: requests.create_group(generated.display_name, generated.external_id),
        )

    def _match_then_create(
        self, thing: _User | _Group, noun: str, attribute: str, match_request: EntraRequest,
        make_create: Callable[[], EntraRequest],
    ) -> Job:
        """Entra's match-then-create: a filter on the matching attribute, then a POST when the
        answer came (docs/entra.md §1.1, §1.6); the path created is learnt for later."""
        collection = match_request.path
        where = collection.strip("/")
        try:
            match = yield LoadStep(
                match_request.method, collection,
                f"match {noun}: GET /{where}?filter={attribute} eq", params=match_request.query,
            )
            if match is None or not match.ok:
                return
            create = make_create()
            body = create.body
            answer = yield LoadStep(create.method, create.path, f"create {noun}: POST /{where}",
                                    body=body)
            lookup = None if answer is None else self.ledger.learn(
                "POST", collection, body, answer.status, answer.body)
            if lookup is not None:  # an id but no name: a GET of it says whose it is
                seen = yield LoadStep("GET", lookup.path,
                                      f"read created {noun}: GET /{where}/{{id}}")
                if seen is not None:
                    self.ledger.prove(lookup, seen.status, seen.body)
            thing.path = self._learn(collection, body, attribute, answer)
        finally:
            thing.done = True

    def _learn(self, collection: str, body: dict[str, Any], attribute: str,
               answer: Answer | None) -> str | None:
        if answer is None:
            return None
        resource_id = answer.body.get("id") if isinstance(answer.body, dict) else None
        if not isinstance(resource_id, str):
            return None
        path = (endpoints.user if collection == endpoints.USERS else endpoints.group)(resource_id)
        if not self.ledger.owns(path):
            return None
        self.created.append(Created(path, str(body[attribute])))
        return path

    def _add_members(self, group: _Group, batch: list[int], initial: bool) -> Job:
        if initial:
            yield Wait(lambda: group.done and all(self.users[i].done for i in batch))
        members = [i for i in batch if self.users[i].path is not None]
        if group.path is None or not members:
            return
        ids = [self._id(self.users[i]) for i in members]
        request = requests.add_members(Dialect.LEGACY, self._group_id(group), ids)
        answer = yield LoadStep(request.method, request.path, "add members: PATCH /Groups/{id}",
                                body=request.body)
        if answer is not None and answer.ok and initial:
            group.members.extend(members)

    def _remove_members(self, group: _Group, batch: list[int]) -> Job:
        assert group.path is not None
        ids = [self._id(self.users[i]) for i in batch]
        request = requests.remove_members(Dialect.LEGACY, self._group_id(group), ids)
        yield LoadStep(request.method, request.path, "remove members: PATCH /Groups/{id}",
                       body=request.body)

    def _update_user(self, user: _User) -> Job:
        assert user.path is not None
        user.revision += 1
        changes = {
            path: value for path, value in user.generated.updated_values(user.revision).items()
            if path.lower() != "username"  # the matching attribute stays: the user keeps its tag
        }
        request = requests.update_user(Dialect.LEGACY, self._id(user), changes)
        yield LoadStep(request.method, request.path, "update user: PATCH /Users/{id}",
                       body=request.body)

    def _set_active(self, user: _User, active: bool) -> Job:
        assert user.path is not None
        label = "enable user" if active else "disable user"
        request = requests.set_active(Dialect.LEGACY, self._id(user), active)
        yield LoadStep(request.method, request.path, f"{label}: PATCH /Users/{{id}} active",
                       body=request.body)

    @staticmethod
    def _id(user: _User) -> str:
        assert user.path is not None
        return ownership.resource_key(user.path)[1]  # type: ignore[index]

    @staticmethod
    def _group_id(group: _Group) -> str:
        assert group.path is not None
        return ownership.resource_key(group.path)[1]  # type: ignore[index]


def _batches(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def split(total: int, parts: int, index: int) -> int:
    """The share of ``total`` that part ``index`` of ``parts`` takes (the first ones take the
    remainder)."""
    return total // parts + (1 if index < total % parts else 0)
