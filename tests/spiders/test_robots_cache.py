"""robots.txt kept across crawls for an hour: asked once, not per crawl; asked again once
stale; a server error never kept. Real crawls against the fixture server."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from spiders.crawl import run_crawl
from tests.fixture_server import FixtureServer, Route


@pytest.fixture
def hosts_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "hosts"
    monkeypatch.setenv("EXNEWS_HOSTS_DIR", str(directory))
    return directory


def robots_asked(server: FixtureServer) -> int:
    return sum(1 for r in server.requests if r["path"] == "/robots.txt")


def crawl(warehouse: Path, run_id: str) -> None:
    summary = run_crawl("bybit", run_id=run_id, warehouse=warehouse, timeout=120)
    assert summary.error is None


def test_robots_txt_is_asked_once_for_several_crawls_then_again_when_stale(
    warehouse: Path, fixture_server: FixtureServer, hosts_dir: Path
):
    crawl(warehouse, "r1")
    first = robots_asked(fixture_server)
    assert first == 1  # bybit's article pages are on one host that publishes robots.txt

    crawl(warehouse, "r2")
    assert robots_asked(fixture_server) == first

    [kept] = hosts_dir.glob("*.robots.json")
    copy = json.loads(kept.read_text())
    kept.write_text(json.dumps({**copy, "fetched_at": time.time() - 3601}))
    crawl(warehouse, "r3")
    assert robots_asked(fixture_server) == first + 1


@pytest.fixture
def robots_unavailable(fixture_routes: list[Route]) -> list[Route]:
    fixture_routes.append(
        Route(
            "announcements.bybit.com", "/robots.txt", b"down", status=503, content_type="text/plain"
        )
    )
    return fixture_routes


@pytest.mark.usefixtures("robots_unavailable")
def test_a_robots_txt_the_server_failed_to_give_is_not_kept(
    warehouse: Path, fixture_server: FixtureServer, hosts_dir: Path
):
    crawl(warehouse, "r1")
    first = robots_asked(fixture_server)
    assert first >= 1
    crawl(warehouse, "r2")
    assert robots_asked(fixture_server) == 2 * first
    assert not list(hosts_dir.glob("*.robots.json"))
