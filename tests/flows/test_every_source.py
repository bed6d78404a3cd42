"""Every source, end to end against its bundled fixtures: what lands is what it promises."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.ingest import ingest
from spiders.registry import source_names
from tests.demo_story import why_quarantined
from tests.fixture_server import FixtureServer
from warehouse import connect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.usefixtures("prefect_backend")
@pytest.mark.parametrize("source", source_names())
def test_ingest_lands_what_the_fixtures_promise(
    source: str, warehouse: Path, fixture_server: FixtureServer
):
    expected = json.loads((FIXTURES / source / "expected.json").read_text())
    report = ingest(sources=[source], warehouse=str(warehouse))
    connection = connect(warehouse)
    articles, with_body, complete = connection.execute(
        """
        select count(*), count(body_text),
               count(*) filter (where title <> '' and url like 'http%'
                                and published_at is not null and category is not null)
        from articles
        """
    ).fetchone()
    quarantined = connection.execute("select count(*) from quarantine").fetchone()[0]
    # Every fault a fixture shows is on purpose, and says why (make demo prints it).
    urls = [url for (url,) in connection.execute("select url from quarantine").fetchall()]
    assert [url for url in urls if why_quarantined(source, url) is None] == []
    assert len(expected["faults_on_purpose"]) == expected["quarantined"]
    assert (articles, with_body, quarantined) == (
        expected["articles"],
        expected["with_body"],
        expected["quarantined"],
    )
    assert complete == articles, "every article needs title, url, published_at and category"
    assert report[0]["status"] in ("completed", "partial")
    assert {r["host"] for r in fixture_server.requests}, "the spider made no request"
    second = ingest(sources=[source], warehouse=str(warehouse))
    assert second[0]["items_new"] == 0
    assert connection.execute("select count(*) from articles").fetchone()[0] == articles
