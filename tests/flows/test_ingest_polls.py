"""One ingest crawls its sources at once, and a second one, with nothing new, polls cheaply:
end to end through Prefect, the crawl children and the Parquet warehouse."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from flows.ingest import ingest
from tests.fixture_server import FixtureServer
from warehouse import connect

pytestmark = pytest.mark.usefixtures("prefect_backend")

# Sources whose crawls take seconds each against the fixture server (their hosts' delays).
SOURCES = ["binance", "kucoin", "okx"]
GATE = ["gate_news", "gate_square"]


def runs(root: Path) -> list[tuple]:
    return (
        connect(root)
        .execute(
            "select source, started_at, finished_at, requests, not_modified from runs"
            " order by started_at"
        )
        .fetchall()
    )


def counts(root: Path) -> tuple[int, int, int]:
    connection = connect(root)
    return tuple(  # type: ignore[return-value]
        connection.execute(f"select count(*) from {view}").fetchone()[0]
        for view in ("articles", "article_versions", "raw_pages")
    )


def test_the_sources_of_one_ingest_run_at_once_but_each_host_keeps_its_limit(
    warehouse: Path, fixture_server: FixtureServer
):
    ingest(sources=[*SOURCES, *GATE], warehouse=str(warehouse))

    rows = runs(warehouse)
    spans = {source: (started, finished) for source, started, finished, *_ in rows}
    assert sorted(spans) == sorted([*SOURCES, *GATE])
    # Every source started before any of them finished: they overlap, Gate's too.
    assert max(start for start, _ in spans.values()) < min(end for _, end in spans.values())
    # Gate's sources share www.gate.com and its one-page-a-second limit: crawled side by
    # side, their requests still reach the host a second apart (a little less: the stamp
    # is taken before the socket opens).
    gate = [r for r in fixture_server.requests if r["host"] == "www.gate.com"]
    paths = {r["path"] for r in gate}
    assert {"/news", "/post"} <= paths
    starts = sorted(r["at"] for r in gate)
    assert min(later - earlier for earlier, later in pairwise(starts)) >= 0.9


def test_a_second_ingest_with_nothing_new_polls_cheaply_and_lands_nothing(
    warehouse: Path, fixture_server: FixtureServer
):
    first = ingest(sources=SOURCES, warehouse=str(warehouse))
    landed = counts(warehouse)
    fixture_server.requests.clear()

    second = ingest(sources=SOURCES, warehouse=str(warehouse))

    assert counts(warehouse) == landed  # nothing new, nothing duplicated
    assert all(row["items_new"] == row["items_changed"] == 0 for row in second)
    by_source = {row["source"]: row for row in second}
    for source, row in {row["source"]: row for row in first}.items():
        assert by_source[source]["requests"] < row["requests"], source
        # KuCoin's list URL names the window's start, which the first ingest had not: no
        # 304 for it, but its unchanged entries' pages are not asked for.
        saved = by_source[source]["not_modified"] + by_source[source]["details_skipped"]
        assert saved > 0, source
    assert by_source["binance"]["not_modified"] > 0 and by_source["okx"]["not_modified"] > 0
    # Every request the server saw is counted, in the report and in ``runs``.
    assert sum(row["requests"] for row in second) == len(fixture_server.requests)
    answered_304 = [request for request in fixture_server.requests if request.get("status") == 304]
    assert sum(row["not_modified"] for row in second) == len(answered_304)
    # In time order: each source's second run overwrites its first.
    recorded = {source: (requests, modified) for source, *_, requests, modified in runs(warehouse)}
    assert recorded == {row["source"]: (row["requests"], row["not_modified"]) for row in second}
