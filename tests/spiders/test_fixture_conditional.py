"""The fixture server answers conditional requests as a real server does, faults first."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from email.utils import formatdate

import pytest

from tests.fixture_server import Fault, FixtureServer, Route, serve

LAST_MODIFIED = formatdate(1_700_000_000, usegmt=True)


def fetch(server: FixtureServer, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(f"{server.base_url}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:  # 304 and other non-2xx answers
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    routes = [
        Route(
            "*", "/feed", b"<rss/>", content_type="application/rss+xml", last_modified=LAST_MODIFIED
        ),
        Route("*", "/flaky", b"{}", fault=Fault("status", times=1, status=503)),
        Route("*", "/post", b"{}", method="POST"),
    ]
    with serve(routes) as running:
        yield running


def test_a_matching_etag_or_date_gets_304_without_a_body(server: FixtureServer):
    status, headers, body = fetch(server, "/feed")
    assert status == 200 and body == b"<rss/>"
    assert headers["Last-Modified"] == LAST_MODIFIED
    etag = headers["ETag"]

    assert fetch(server, "/feed", **{"If-None-Match": etag})[::2] == (304, b"")
    assert fetch(server, "/feed", **{"If-Modified-Since": LAST_MODIFIED})[::2] == (304, b"")
    # If-None-Match decides when both are sent; an older date means a newer page.
    stale_tag = {"If-None-Match": '"other"', "If-Modified-Since": LAST_MODIFIED}
    assert fetch(server, "/feed", **stale_tag)[0] == 200
    older = formatdate(1_600_000_000, usegmt=True)
    assert fetch(server, "/feed", **{"If-Modified-Since": older})[0] == 200
    assert [r.get("status") for r in server.requests] == [200, 304, 304, 200, 200]


def test_the_body_changes_its_etag(server: FixtureServer):
    etag = fetch(server, "/feed")[1]["ETag"]
    server.routes[0].body = b"<rss>new</rss>"
    status, headers, body = fetch(server, "/feed", **{"If-None-Match": etag})
    assert (status, body) == (200, b"<rss>new</rss>")
    assert headers["ETag"] != etag


def test_faults_come_first_and_posts_are_never_conditional(server: FixtureServer):
    etag = fetch(server, "/flaky")[1].get("ETag")  # the fault answers, without a validator
    assert etag is None
    etag = fetch(server, "/flaky")[1]["ETag"]
    assert fetch(server, "/flaky", **{"If-None-Match": etag})[0] == 304

    request = urllib.request.Request(f"{server.base_url}/post", data=b"{}", method="POST")
    request.add_header("If-None-Match", "*")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200 and "ETag" not in response.headers
