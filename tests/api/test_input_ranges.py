"""Every duration, instant and number the API takes has a range: out of it is a 400 naming the field.

These inputs used to overflow ``datetime``/``timedelta`` arithmetic deep in a handler (500, with
tracebacks in the log); now they are refused where they enter, and nothing is logged as an error.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx2
import pytest

from tests.api.conftest import ADMIN, PUBLIC_HOOK, bearer

HUGE = "99999999999999999999d"
DIGEST = {"channel": "webhook", "target": PUBLIC_HOOK, "mode": "digest"}
FEED = {"id": "ranged", "url": "https://93.184.216.34/feed.xml"}


def _case(method: str, path: str, field: str, *, json: Any = None, params: Any = None, raw: bytes | None = None) -> Any:
    return (method, path, field, json, params, raw)


CASES = [
    pytest.param(
        *_case("POST", "/subscriptions", "digest.every", json={**DIGEST, "digest": {"every": HUGE}}),
        id="create-digest-every-huge",
    ),
    pytest.param(
        *_case("POST", "/subscriptions", "digest.every", json={**DIGEST, "digest": {"every": "367d"}}),
        id="create-digest-every-over-a-year",
    ),
    pytest.param(
        *_case("POST", "/subscriptions", "digest.every", json={**DIGEST, "digest": {"every": "4m"}}),
        id="create-digest-every-too-short",
    ),
    pytest.param(
        *_case("POST", "/subscriptions", "digest.every", json={**DIGEST, "digest": {"every": "1e400s"}}),
        id="create-digest-every-exponent",
    ),
    pytest.param(
        *_case("PATCH", "/subscriptions/{sub}", "digest.every", json={"mode": "digest", "digest": {"every": HUGE}}),
        id="patch-digest-every-huge",
    ),
    pytest.param(
        *_case(
            "POST",
            "/subscriptions",
            "filters.min_killed",
            json={"channel": "webhook", "target": PUBLIC_HOOK, "filters": {"min_killed": 10**30}},
        ),
        id="create-min-killed-huge",
    ),
    pytest.param(
        *_case(
            "POST",
            "/subscriptions",
            "filters.min_score",
            raw=b'{"channel": "webhook", "target": "%s", "filters": {"min_score": NaN}}' % PUBLIC_HOOK.encode(),
        ),
        id="create-min-score-nan",
    ),
    pytest.param(
        *_case(
            "PATCH",
            "/subscriptions/{sub}",
            "filters.min_score",
            raw=b'{"filters": {"min_score": Infinity}}',
        ),
        id="patch-min-score-infinity",
    ),
    pytest.param(
        *_case("GET", "/incidents", "since", params={"since": "0001-01-01T00:00:00+14:00"}), id="since-year-1-plus-14h"
    ),
    pytest.param(
        *_case("GET", "/incidents", "since", params={"since": "9999-12-31T23:59:59-14:00"}),
        id="since-year-9999-minus-14h",
    ),
    pytest.param(*_case("GET", "/incidents", "since", params={"since": "2026-11-27T00:00:00"}), id="since-naive"),
    pytest.param(*_case("GET", "/incidents", "since", params={"since": "1e20"}), id="since-huge-number"),
    pytest.param(*_case("GET", "/incidents", "min_score", params={"min_score": "nan"}), id="incidents-min-score-nan"),
    pytest.param(*_case("GET", "/incidents", "min_score", params={"min_score": "inf"}), id="incidents-min-score-inf"),
    pytest.param(*_case("GET", "/incidents", "limit", params={"limit": str(10**30)}), id="incidents-limit-huge"),
    pytest.param(*_case("GET", "/incidents", "offset", params={"offset": "-1"}), id="incidents-offset-negative"),
    pytest.param(
        *_case("GET", "/subscriptions/{sub}/deliveries", "limit", params={"limit": str(10**30)}),
        id="deliveries-limit-huge",
    ),
    pytest.param(*_case("GET", "/subscriptions", "limit", params={"limit": "0"}), id="admin-subscriptions-limit-zero"),
    pytest.param(*_case("POST", "/feeds", "interval", json={**FEED, "interval": "99999999999999d"}), id="feed-huge"),
    pytest.param(*_case("POST", "/feeds", "interval", json={**FEED, "interval": 1e300}), id="feed-huge-number"),
    pytest.param(*_case("POST", "/feeds", "interval", json={**FEED, "interval": "31d"}), id="feed-over-30-days"),
    pytest.param(*_case("POST", "/feeds", "interval", json={**FEED, "interval": "10ms"}), id="feed-under-1s"),
    pytest.param(
        *_case("POST", "/feeds", "interval", raw=b'{"id": "x", "url": "https://a.b/", "interval": NaN}'), id="feed-nan"
    ),
]


@pytest.mark.parametrize(("method", "path", "field", "json", "params", "raw"), CASES)
async def test_out_of_range_inputs_are_400_naming_the_field(
    client: httpx2.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    field: str,
    json: Any,
    params: Any,
    raw: bytes | None,
) -> None:
    created = await client.post("/api/v1/subscriptions", json={"channel": "webhook", "target": PUBLIC_HOOK})
    assert created.status_code == 201, created.text
    url = "/api/v1" + path.format(sub=created.json()["id"])
    headers = bearer(ADMIN) | ({"content-type": "application/json"} if raw is not None else {})
    with caplog.at_level(logging.WARNING):
        response = await client.request(method, url, json=json, params=params, content=raw, headers=headers)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and error["field"] == field, error
    assert error["message"].startswith(field), error  # the message says what it is about, too
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], caplog.text


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        pytest.param("1900-01-01T00:00:00+14:00", 200, id="lowest-year"),
        pytest.param("8999-12-31T23:59:59-14:00", 200, id="highest-year"),
        pytest.param("2026-11-27T08:00:00+05:30", 200, id="offset"),
    ],
)
async def test_instants_inside_the_range_are_answered(client: httpx2.AsyncClient, since: str, expected: int) -> None:
    response = await client.get("/api/v1/incidents", params={"since": since})
    assert response.status_code == expected, response.text


@pytest.mark.parametrize(
    "every", [pytest.param("5m", id="shortest"), pytest.param("366d", id="longest"), pytest.param("7d", id="weekly")]
)
async def test_digest_periods_inside_the_range_are_accepted(client: httpx2.AsyncClient, every: str) -> None:
    response = await client.post("/api/v1/subscriptions", json={**DIGEST, "digest": {"every": every}})
    assert response.status_code == 201, response.text
