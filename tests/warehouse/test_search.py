"""The search index: Chinese and English recall, ranking, filters, staying current, crashes."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.quality.metrics import load_labels
from transform.extract.clean import clean_document
from warehouse import connect, search
from warehouse.compaction import compact
from warehouse.schemas import TABLES
from warehouse.versions import ArticleVersion, upsert_articles
from warehouse.writer import write_rows

FETCHED = datetime(2026, 11, 1, 12, tzinfo=UTC)
DOCUMENTS = Path(__file__).resolve().parents[1] / "quality" / "documents"
CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


def article(article_id: str, **overrides: object) -> dict:
    row = {
        "article_id": article_id,
        "source": "binance",
        "native_id": article_id,
        "title": "Notice",
        "body_text": "Nothing to see.",
        "category": "other",
        "language": "en",
        "published_at": datetime(2026, 11, 1, 8, tzinfo=UTC),
        "fetched_at": FETCHED,
    }
    return {**row, **overrides}


def land(root: Path, *rows: dict) -> None:
    """Through the write path the flows use, then the index update every run does."""
    for source in {row["source"] for row in rows}:
        mine = [ArticleVersion(dict(row)) for row in rows if row["source"] == source]
        upsert_articles(root, source, mine)
    assert search.update(root) is not None


def ids(root: Path, query: str, **filters: object) -> list[str]:
    return [hit.article_id for hit in search.search(root, query, limit=100, **filters)]


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 47 hand-labelled documents (English and Chinese), cleaned and landed."""
    root = tmp_path_factory.mktemp("labelled")
    rows = []
    for document in load_labels():
        cleaned = clean_document(
            (DOCUMENTS / document.file).read_bytes(),
            url=document.url,
            source=document.source,
            fetched_at=document.fetched_at,
        )
        rows.append({**cleaned.row(), "fetched_at": document.fetched_at})
    land(root, *rows)
    return root


def test_a_chinese_word_finds_exactly_the_articles_that_hold_it(labelled: Path):
    articles = connect(labelled).execute("select article_id, title, body_text from articles")
    texts = {article_id: f"{title} {body}" for article_id, title, body in articles.fetchall()}
    for word in ("上线", "下架", "充值", "维护"):
        holding = {article_id for article_id, text in texts.items() if word in text}
        assert set(ids(labelled, word)) == holding, word
    assert {article_id for article_id, text in texts.items() if "上线" in text}


def test_a_chinese_word_is_highlighted_whole_and_only_where_it_stands(warehouse: Path):
    body = "币安将上线新币种，价格上涨，线路维护完成后再次上线。"
    land(warehouse, article("zh", language="zh", title="公告", body_text=body))
    (hit,) = search.search(warehouse, "上线")
    assert hit.marked(str, "[", "]") == "币安将[上线]新币种，价格上涨，线路维护完成后再次[上线]"


def test_every_chinese_word_pair_of_every_chinese_article_finds_it(labelled: Path):
    """Recall on the Chinese fixtures: any two adjacent characters of the text find it."""
    rows = connect(labelled).execute(
        "select article_id, title || ' ' || coalesce(body_text, '') from articles "
        "where language like 'zh%'"
    )
    tried, missed = 0, []
    for article_id, text in rows.fetchall():
        pairs = {run[i : i + 2] for run in CJK_RUN.findall(text) for i in range(len(run) - 1)}
        for pair in sorted(pairs):
            tried += 1
            if article_id not in ids(labelled, pair):
                missed.append((article_id, pair))
    assert tried > 500
    assert missed == []


def test_english_words_match_their_inflections_and_a_title_hit_ranks_first(warehouse: Path):
    land(
        warehouse,
        article("body", body_text="We are listing SOL next week, among other things."),
        article("title", title="Binance Will List Solana (SOL)", body_text="Trading opens soon."),
        article("none", title="Wallet maintenance", body_text="Deposits pause for an hour."),
    )
    assert ids(warehouse, "listing") == ["title", "body"]  # list ~ listing, title first
    assert ids(warehouse, "lists") == ["title", "body"]
    hit = search.search(warehouse, "listing")[1]
    assert hit.marked(str, "**", "**").startswith("We are **listing** SOL")


def test_every_word_is_required_unless_or_is_said(warehouse: Path):
    land(
        warehouse,
        article("both", body_text="Solana listing today."),
        article("one", body_text="Solana maintenance today."),
    )
    assert ids(warehouse, "solana listing") == ["both"]
    assert set(ids(warehouse, "listing OR maintenance")) == {"both", "one"}
    assert ids(warehouse, '"listing today"') == ["both"]


def test_filters_narrow_by_source_category_and_published_window(warehouse: Path):
    day = datetime(2026, 11, 1, tzinfo=UTC)
    land(
        warehouse,
        article("b1", source="binance", category="listing", body_text="solana", published_at=day),
        article("o1", source="okx", category="listing", body_text="solana", published_at=day),
        article("k1", source="kucoin", category="delisting", body_text="solana", published_at=day),
        article("b2", body_text="solana", published_at=day + timedelta(days=2)),
    )
    assert set(ids(warehouse, "solana", sources=["okx", "kucoin"])) == {"o1", "k1"}
    assert set(ids(warehouse, "solana", category="listing")) == {"b1", "o1"}
    assert ids(warehouse, "solana", since=day + timedelta(days=1)) == ["b2"]
    until = ids(warehouse, "solana", until=day + timedelta(days=2))  # [since, until)
    assert set(until) == {"b1", "o1", "k1"}
    hit = search.search(warehouse, "solana", sources=["okx"])[0]
    assert (hit.source, hit.category, hit.published_at) == ("okx", "listing", day)


def test_a_changed_article_is_found_once_with_its_newest_text(warehouse: Path):
    land(warehouse, article("a1", body_text="Deposits of solana are suspended."))
    later = FETCHED + timedelta(hours=1)
    land(warehouse, article("a1", body_text="Deposits of solana resumed.", fetched_at=later))
    hits = search.search(warehouse, "solana")
    assert [hit.article_id for hit in hits] == ["a1"]
    assert "resumed" in hits[0].snippet
    assert ids(warehouse, "suspended") == []


def test_an_older_version_landing_later_does_not_replace_the_newest(warehouse: Path):
    """What the ``articles`` view shows wins, not the order files were written in."""
    land(warehouse, article("a1", body_text="solana resumed", fetched_at=FETCHED))
    older = article("a1", body_text="solana halted", fetched_at=FETCHED - timedelta(days=1))
    write_rows(warehouse, TABLES["articles"], [older])  # as a reprocess of old pages may
    assert search.update(warehouse) == 1
    assert ids(warehouse, "resumed") == ["a1"]
    assert ids(warehouse, "halted") == []


def test_rebuild_gives_the_same_hits_and_reports_progress(warehouse: Path):
    land(warehouse, *(article(f"a{n}", body_text=f"solana note {n}") for n in range(30)))
    before = ids(warehouse, "solana")
    seen: list[tuple[int, int]] = []
    assert search.rebuild(warehouse, lambda done, total: seen.append((done, total))) == 30
    assert sorted(ids(warehouse, "solana")) == sorted(before)  # equal scores: any order
    assert seen[-1] == (30, 30)
    assert search.update(warehouse) == 0  # the rebuild recorded every file


def test_an_index_of_another_version_or_unreadable_is_built_anew(warehouse: Path):
    land(warehouse, article("a1", body_text="solana"), article("a2", body_text="solana"))
    marker = warehouse / "search" / "exnews-indexed.json"
    marker.write_text(marker.read_text().replace('"version": 1', '"version": 0'))
    assert search.update(warehouse) == 2  # rebuilt, not topped up
    (warehouse / "search" / "meta.json").write_text("not json")
    assert search.rebuild(warehouse) == 2
    assert sorted(ids(warehouse, "solana")) == ["a1", "a2"]


def test_compaction_adds_no_work_and_loses_no_article(warehouse: Path):
    for n in range(3):
        land(warehouse, article(f"a{n}", body_text="solana", fetched_at=FETCHED + timedelta(n)))
    compact(warehouse)
    assert search.update(warehouse) == 0  # the compacted file holds indexed rows only
    assert set(ids(warehouse, "solana")) == {"a0", "a1", "a2"}


CRASH = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from warehouse import search

    def die(writer):
        os.kill(os.getpid(), signal.SIGKILL)  # added, not committed

    search._commit = die
    search.update(Path(sys.argv[1]))
    """
)


def test_a_crash_between_add_and_commit_is_repaired_by_the_next_update(warehouse: Path):
    land(warehouse, article("a1", body_text="solana first"))
    upsert_articles(warehouse, "binance", [ArticleVersion(article("a2", body_text="solana two"))])
    crashed = subprocess.run([sys.executable, "-c", CRASH, str(warehouse)], check=False)
    assert crashed.returncode == -9
    assert ids(warehouse, "solana") == ["a1"]  # the uncommitted add is gone
    assert search.update(warehouse) == 1  # its locks died with it; the marker lacked the file
    assert sorted(ids(warehouse, "solana")) == ["a1", "a2"]


def test_a_second_update_waits_then_skips_and_the_next_one_catches_up(warehouse: Path):
    land(warehouse, article("a1", body_text="solana"))
    upsert_articles(warehouse, "binance", [ArticleVersion(article("a2", body_text="solana"))])
    with search._locked(warehouse, wait=0) as held:
        assert held
        assert search.update(warehouse, wait=0.5) is None
    assert ids(warehouse, "solana") == ["a1"]
    assert search.update(warehouse) == 1
    assert sorted(ids(warehouse, "solana")) == ["a1", "a2"]


def test_two_updates_at_once_both_finish(warehouse: Path):
    """Two processes, no waiting: neither fails on tantivy's writer lock."""
    land(warehouse, article("a0", body_text="solana"))
    more = [ArticleVersion(article(f"a{n}", body_text="solana")) for n in range(1, 40)]
    upsert_articles(warehouse, "binance", more)
    script = "import sys; from pathlib import Path; from warehouse import search; "
    script += "print(search.update(Path(sys.argv[1]), wait=0))"
    runs = [
        subprocess.Popen([sys.executable, "-c", script, str(warehouse)], stdout=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = sorted(run.communicate(timeout=120)[0].decode().strip() for run in runs)
    assert [run.returncode for run in runs] == [0, 0]
    assert outputs in (["0", "39"], ["39", "None"])  # one after the other, or one skipped
    search.update(warehouse)
    assert len(ids(warehouse, "solana")) == 40


def test_an_empty_warehouse_gets_an_empty_index(warehouse: Path):
    assert search.update(warehouse) == 0
    assert search.search(warehouse, "solana") == []


@pytest.mark.parametrize(("query", "message"), [("  ", "empty query"), ("foo AND (", "invalid")])
def test_a_bad_query_is_a_search_error(warehouse: Path, query: str, message: str):
    search.update(warehouse)
    with pytest.raises(search.SearchError, match=message):
        search.search(warehouse, query)


def test_no_index_yet_says_how_to_build_one(warehouse: Path):
    with pytest.raises(search.SearchError, match="--rebuild"):
        search.search(warehouse, "solana")


def test_search_hits_join_articles_in_sql(warehouse: Path):
    land(
        warehouse,
        article("t", title="Binance Will List Solana", body_text="Soon."),
        article("b", title="Maintenance", body_text="solana pairs"),
        article("x", title="Other", body_text="nothing"),
    )
    query = """
        select s.rank, a.title from search('solana') s join articles a using (article_id)
        where a.article_id in (select article_id from search('solana OR nothing'))
        order by s.rank"""
    connection = connect(warehouse)
    search.attach_sql(connection, warehouse, query)
    assert connection.execute(query).fetchall() == [
        (1, "Binance Will List Solana"),
        (2, "Maintenance"),
    ]
