"""A failure Hypothesis could not repeat is intermittent only when the replay reached the same
request on the same state (scimcheck.generate.flaky; issue 14 §3)."""

from __future__ import annotations

import json

from scimcheck.generate.flaky import replay_fell_short
from scimcheck.http.transport import Exchange

CREATE = "create a generated user"
READ = "read the generated user back"


def _exchange(index: int, method: str, label: str, status: int, body: object = None) -> Exchange:
    return Exchange(index=index, method=method, url="http://127.0.0.1:1/Users",
                    request_headers={}, request_body=None if body is None else json.dumps(body),
                    status=status, label=label, response_body='{"detail": "x"}')


USER = {"userName": "a-1@example.com", "externalId": "e-1", "displayName": "A",
        "emails": [{"type": "work", "value": "a@work.example.com"}]}
FIRST = [_exchange(0, "POST", CREATE, 201, USER), _exchange(1, "GET", READ, 200)]


def test_a_replay_that_sent_the_failing_request_again_shows_an_intermittent_endpoint() -> None:
    replay = [_exchange(5, "POST", CREATE, 201, USER), _exchange(6, "GET", READ, 200)]
    assert replay_fell_short(FIRST, replay) is None


def test_a_create_refused_with_409_names_the_kept_deleted_users_values() -> None:
    again = {**USER, "userName": "a-2@example.com"}  # a fresh userName, the rest repeated
    cause = replay_fell_short(FIRST, [_exchange(5, "POST", CREATE, 409, again),
                                      _exchange(6, "DELETE", "delete", 404)])
    assert cause is not None and "a deleted user's values still block a new create" in cause
    # the identifying values both creates sent: not the fresh userName, not displayName
    assert "(the same externalId, emails[0].value)" in cause


def test_a_replay_stopped_earlier_for_another_reason_says_where() -> None:
    cause = replay_fell_short(FIRST, [_exchange(5, "POST", CREATE, 400, USER)])
    assert cause is not None
    assert "replay of the example stopped before the request that failed" in cause
    assert "400" in cause and "the first run got" in cause
    assert "ended after 0 request(s)" in (replay_fell_short(FIRST, []) or "")


def test_a_repeated_label_earlier_in_the_example_is_not_the_failing_request() -> None:
    """A lifecycle sends several creates with one label: the replay must reach the same
    position, not merely a request of the same name."""
    first = [_exchange(0, "POST", CREATE, 201, USER), _exchange(1, "POST", CREATE, 409, USER)]
    cause = replay_fell_short(first, [_exchange(5, "POST", CREATE, 409, USER)])
    assert cause is not None and "deleted user's values" in cause


def test_a_request_refused_again_the_same_way_is_not_intermittent() -> None:
    """The endpoint answered the failing request as before (a create refused with 409 both
    times): whatever made Hypothesis call the example flaky, the endpoint was consistent."""
    first = [_exchange(0, "POST", CREATE, 409, USER)]
    cause = replay_fell_short(first, [_exchange(5, "POST", CREATE, 409, USER)])
    assert cause is not None and "answered it the same way" in cause and "409" in cause
    # the same request answered 200 after a 500: that is the intermittent endpoint
    assert replay_fell_short([_exchange(0, "GET", READ, 500)],
                             [_exchange(5, "GET", READ, 200)]) is None
