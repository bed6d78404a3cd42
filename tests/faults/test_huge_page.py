"""Fault: huge pages in a run (issue 8). A page past the payload limit is quarantined with its
stage and reason, a page whose body is past the enrichment limit lands with the cut noted,
and every other page of the run lands once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from bench.huge_page import make_page
from flows.process import Window, process_pages
from tests.faults.ledger import audit, record
from transform.limits import ENRICH_TEXT_CHARS, MAX_PAYLOAD_BYTES
from warehouse import connect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gate_news"
FETCHED = datetime(2026, 11, 28, 12, tzinfo=UTC)


def page(raw_id: str, native_id: str, body: bytes) -> dict:
    return {
        "raw_id": raw_id, "source": "gate_news", "page_kind": "detail", "feed": "news",
        "url": f"https://www.gate.com/news/detail/article-{native_id}", "fetched_at": FETCHED,
        "body": body, "status": 200, "native_id": native_id,
        "context": json.dumps({"lang": "en"}),
    }  # fmt: skip


def test_a_page_past_the_limit_is_quarantined_and_the_run_lands_the_rest(warehouse: Path):
    articles = sorted(FIXTURES.glob("article-*.html"))
    pages = [
        page(f"raw-{p.stem}", p.stem.removeprefix("article-"), p.read_bytes()) for p in articles
    ]
    too_big = make_page(MAX_PAYLOAD_BYTES + 2**20, words=2_000)
    long_body = make_page(1_500_000, words=45_000)  # a body past ENRICH_TEXT_CHARS
    pages[3:3] = [page("raw-too-big", "14299998", too_big), page("raw-long", "14299999", long_body)]

    result = process_pages(warehouse, "gate_news", pages, window=Window(), run_id="run-huge")

    seen = audit(warehouse)
    # Two fixture pages are no article (gate_news/expected.json): quarantined as ever.
    expected = json.loads((FIXTURES / "expected.json").read_text())
    row = record("huge page (17 MiB) in a run", injected=2, expected=expected["with_body"] + 1,
                 seen=seen, outcome="quarantined past the limit, rest landed")  # fmt: skip
    assert row.clean, row
    assert result.pages == len(pages)
    quarantine = dict(
        connect(warehouse)
        .execute("select raw_ref, (stage, error_type, error) from quarantine")
        .fetchall()
    )
    assert len(quarantine) == expected["quarantined"] + 2
    stage, error_type, error = quarantine["raw-too-big"]
    assert (stage, error_type) == ("transform", "LimitError")
    assert "17.0 MiB, over the 16 MiB limit" in error
    stage, error_type, cut = quarantine["raw-long"]
    assert (stage, error_type) == ("enrich", "LimitError")
    assert f"only the first {ENRICH_TEXT_CHARS:,} of" in cut
    landed = (
        connect(warehouse)
        .execute("select length(body_text) from articles where native_id = '14299999'")
        .fetchone()
    )
    assert landed is not None and landed[0] > ENRICH_TEXT_CHARS  # the body lands whole
