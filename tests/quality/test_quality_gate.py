"""CI quality gate: clean_document on the labelled set must not fall below the thresholds,
and the metrics themselves are checked on tiny cases with exact answers (a metric that
cannot fail gates nothing)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest

from tests.quality.metrics import (
    MENTION_KINDS,
    Counts,
    LabelledDocument,
    Listed,
    benchmark_scores,
    category_accuracy,
    distinct_mentions,
    gate_figures,
    language_figures,
    listed_hits,
    load_labels,
    mention_counts,
    mention_precision,
    mention_recall,
    normalise_mention,
    score_set,
    shingle_counts,
    shingles,
    tokenize,
)
from transform.enrich.category import TAXONOMY
from transform.enrich.symbols import PAIR_KINDS
from transform.extract.clean import known_sources

# Set from measured values: each is the figure `python -m tests.quality.report` measured on
# 2026-11-30 on the 176 documents (shown after #), taken a little lower and rounded down to a
# multiple of 0.05. Raise a threshold when a change improves its figure; never lower one to make
# a change pass.
THRESHOLDS: dict[str, float] = {
    "body_f1_mean": 0.90,  # 0.914
    "category_accuracy": 0.95,  # 1.000
    "coin_precision": 0.95,  # 0.969
    "coin_recall": 0.85,  # 0.886
    "pair_precision": 0.95,  # 1.000
    "pair_recall": 0.95,  # 0.994
    "money_precision": 0.95,  # 1.000
    "money_recall": 0.85,  # 0.882
    "percent_precision": 0.95,  # 1.000
    "percent_recall": 0.95,  # 1.000
    "country_precision": 0.95,  # 1.000
    "country_recall": 0.95,  # 0.977
    "place_precision": 0.95,  # 1.000
    "place_recall": 0.95,  # 1.000
    "organisation_precision": 0.95,  # 0.965
    "organisation_recall": 0.95,  # 0.977
    "event_time_precision": 0.95,  # 0.983
    "event_time_recall": 0.95,  # 0.983
}
# Per language, the same way (measured on the same day; en / zh shown after #). Category
# accuracy of listing and delisting notices, their base coins among the article's ``coins``,
# their pairs among ``pairs`` and their effective date among the event times are the figures
# issue 11 measured Chinese by (targets 95% / 97% / 95% / 97%).
LANGUAGE_THRESHOLDS: dict[str, dict[str, float]] = {
    "en": {
        "category_accuracy": 0.95,  # 1.000
        "listing_category_accuracy": 0.95,  # 1.000
        "base_coin_among_coins": 0.95,  # 1.000
        "pair_among_pairs": 0.95,  # 0.978
        "event_time_on_effective_date": 0.95,  # 0.966
        "coin_recall": 0.85,  # 0.887
        "pair_recall": 0.95,  # 0.983
    },
    "zh": {
        "category_accuracy": 0.95,  # 1.000
        "listing_category_accuracy": 0.95,  # 1.000
        "base_coin_among_coins": 0.95,  # 1.000
        "pair_among_pairs": 0.95,  # 1.000
        "event_time_on_effective_date": 0.95,  # 1.000
        "coin_recall": 0.85,  # 0.885
        "pair_recall": 0.95,  # 1.000
    },
}


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    """clean_document scored once over the whole set."""
    return score_set()


@pytest.mark.parametrize("figure", list(THRESHOLDS))
def test_quality_gate(report: dict[str, Any], figure: str) -> None:
    figures = gate_figures(report)
    assert figures[figure] >= THRESHOLDS[figure], (
        f"{figure} = {figures[figure]:.3f} fell below its threshold {THRESHOLDS[figure]}; "
        "run `python -m tests.quality.report` for the documents behind it"
    )


@pytest.mark.parametrize(
    ("language", "figure"),
    [(language, figure) for language, table in LANGUAGE_THRESHOLDS.items() for figure in table],
)
def test_quality_gate_per_language(report: dict[str, Any], language: str, figure: str) -> None:
    found = language_figures(report)[language][figure]
    threshold = LANGUAGE_THRESHOLDS[language][figure]
    assert found >= threshold, (
        f"{language} {figure} = {found:.3f} fell below its threshold {threshold}; "
        "run `python -m tests.quality.report` for the documents behind it"
    )


def test_every_gate_figure_has_a_threshold() -> None:
    """A new mention kind or figure must not go ungated by omission."""
    keys = {"body_f1_mean", "category_accuracy"}
    keys |= {f"{kind}_{measure}" for kind in MENTION_KINDS for measure in ("precision", "recall")}
    assert set(THRESHOLDS) == keys
    assert set(LANGUAGE_THRESHOLDS) == {document.language for document in load_labels()}
    for table in LANGUAGE_THRESHOLDS.values():
        assert set(table) == {
            "category_accuracy",
            "listing_category_accuracy",
            "base_coin_among_coins",
            "pair_among_pairs",
            "event_time_on_effective_date",
            "coin_recall",
            "pair_recall",
        }


# --------------------------------------------------------------------------- the labels


LABELS = load_labels()


def test_the_set_covers_sources_kinds_and_languages() -> None:
    assert len(LABELS) >= 150
    assert len({document.file for document in LABELS}) == len(LABELS)
    chinese = [document for document in LABELS if document.language == "zh"]
    assert len(chinese) >= 60
    assert {document.source for document in LABELS} == {*known_sources(), None}
    assert {document.file.rsplit(".", 1)[1] for document in LABELS} == {"json", "html", "txt"}
    assert {document.file.rsplit(".", 1)[1] for document in chinese} == {"json", "html", "txt"}
    assert {document.category for document in chinese} == set(TAXONOMY)


def test_listing_notices_say_what_they_list() -> None:
    """Every listing and delisting notice names its base coins or pairs and its effective
    moment, and nothing else carries those labels."""
    for document in LABELS:
        notice = document.category in ("listing", "delisting")
        assert notice == (document.listed is not None), document.file
        if document.listed is None:
            continue
        assert document.listed.coins or document.listed.pairs, document.file
        assert document.listed.pair_kind in PAIR_KINDS, document.file
        assert {pair.split("/")[0] for pair in document.listed.pairs} <= set(
            document.listed.coins
        ), document.file


def test_labels_use_the_taxonomy_and_normalised_values() -> None:
    for document in LABELS:
        assert document.category in TAXONOMY, document.file
        assert document.body.strip() == document.body and "\n\n\n" not in document.body
        assert len(set(document.mentions)) == len(document.mentions), document.file
        for kind, value in document.mentions:
            assert kind in MENTION_KINDS, (document.file, kind)
            if kind not in ("place", "organisation"):
                assert normalise_mention(kind, value, {}) == (kind, value), (document.file, value)
            if kind == "country":
                assert re.fullmatch(r"[A-Z]{2}", value)


def test_seed_is_labelled_as_specified() -> None:
    seed = next(d for d in LABELS if d.file.endswith("seed-post-22604417.txt"))
    paragraphs = seed.body.split("\n\n")
    assert len(paragraphs) == 6
    assert paragraphs[0].startswith("Recently, the U.S. Department of the Treasury")
    assert all(paragraph in seed.path.read_text(encoding="utf-8") for paragraph in paragraphs)
    assert seed.category == "regulation"
    assert Counter(kind for kind, _ in seed.mentions) == Counter(
        {"country": 6, "place": 3, "organisation": 1, "money": 2, "percent": 1}
    )


def _perfect(documents: list[LabelledDocument]) -> Any:
    """An extractor that returns each document's label: the ceiling of every figure."""
    by_content = {document.path.read_bytes(): document for document in documents}

    def extract(content: bytes, *, url: str | None, source: str | None, fetched_at: datetime):
        label = by_content[content]
        mentions = [SimpleNamespace(kind=k, value=v) for k, v in label.mentions]
        listed = label.listed
        return SimpleNamespace(
            body_text=label.body,
            category=label.category,
            mentions=mentions,
            coins=list(listed.coins) if listed else [],
            pairs=list(listed.pairs) if listed else [],
        )

    return extract


def test_labels_score_perfectly_against_themselves() -> None:
    report = score_set(_perfect(LABELS), LABELS)
    figures = gate_figures(report)
    assert figures == {name: 1.0 for name in figures}
    for language, found in language_figures(report).items():
        ratios = {name: value for name, value in found.items() if not name.endswith("documents")}
        assert ratios == {name: 1.0 for name in ratios}, language


# --------------------------------------------------------------------------- the metrics


def test_tokens_are_lowercased_words_and_single_cjk_characters() -> None:
    assert tokenize("Hello, World! 比特币 ETF-2026") == [
        "hello",
        "world",
        "比",
        "特",
        "币",
        "etf",
        "2026",
    ]
    assert tokenize(None) == []


def test_shingles_are_four_token_windows_counted_as_a_multiset() -> None:
    assert shingles("a b c d e") == Counter({("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1})
    assert shingles("a b c d a b c d") == Counter(
        {
            ("a", "b", "c", "d"): 2,
            ("b", "c", "d", "a"): 1,
            ("c", "d", "a", "b"): 1,
            ("d", "a", "b", "c"): 1,
        }
    )
    assert shingles("a b") == Counter({("a", "b"): 1})  # shorter than a shingle: one
    assert shingles("") == Counter()


def test_body_counts_and_scores_are_exact() -> None:
    counts = shingle_counts("a b c d e f", "a b c d x")
    assert counts == Counts(1, 1, 2)
    assert (counts.precision, counts.recall) == (0.5, pytest.approx(1 / 3))
    assert counts.f1 == pytest.approx(0.4)
    assert shingle_counts("A B, C D!", "a b c d").f1 == 1.0
    assert shingle_counts("a b c d e", "").f1 == 0.0
    assert shingle_counts("", "").f1 == 1.0  # benchmark convention: nothing due, nothing given


def test_chinese_is_scored_by_characters() -> None:
    assert shingle_counts("比特币上涨", "比特币下跌").f1 == 0.0
    assert shingle_counts("比特币大涨", "比特币大跌") == Counts(1, 1, 1)
    assert shingle_counts("比特币大涨", "比特币大跌").f1 == 0.5


def test_chrome_in_the_output_costs_precision_not_recall() -> None:
    body = "Binance will list WAL at 10:00 UTC on December 3."
    counts = shingle_counts(body, body + " Download the Binance app now.")
    assert counts.recall == 1.0
    assert counts.precision == pytest.approx(8 / 13)


def test_benchmark_aggregation_weights_documents_equally() -> None:
    scores = benchmark_scores([Counts(1, 1, 2), Counts(3, 0, 0)])
    assert scores["precision"] == pytest.approx(0.75)
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(12 / 17)


def test_mentions_match_as_multisets_per_kind() -> None:
    expected = Counter({("coin", "BTC"): 2, ("coin", "ETH"): 1, ("country", "US"): 1})
    predicted = Counter({("coin", "BTC"): 1, ("coin", "SOL"): 1, ("place", "Tokyo"): 1})
    counts = mention_counts(expected, predicted)
    assert counts == {
        "coin": Counts(1, 1, 2),
        "country": Counts(0, 0, 1),
        "place": Counts(0, 1, 0),
    }
    assert mention_precision(counts["coin"]) == 0.5
    assert mention_recall(counts["coin"]) == pytest.approx(1 / 3)


def test_precision_and_recall_conventions_when_empty() -> None:
    assert (mention_precision(Counts(0, 0, 0)), mention_recall(Counts(0, 0, 0))) == (1.0, 1.0)
    assert (mention_precision(Counts(0, 0, 3)), mention_recall(Counts(0, 0, 3))) == (0.0, 0.0)
    assert (mention_precision(Counts(0, 2, 0)), mention_recall(Counts(0, 2, 0))) == (0.0, 0.0)


def test_a_documents_repeated_mentions_count_once() -> None:
    found = distinct_mentions([("coin", "btc"), ("coin", "BTC"), ("money", "1e3 usd")], {})
    assert found == Counter({("coin", "BTC"): 1, ("money", "1000 USD"): 1})


@pytest.mark.parametrize(
    ("kind", "value", "normalised"),
    [
        ("money", "1.0E+10 usd", "10000000000 USD"),
        ("money", "1,500.50 USDT", "1500.5 USDT"),
        ("percent", "±3%", "3%"),
        ("percent", "66.0%", "66%"),
        ("pair", "btc-usdt", "BTC/USDT"),
        ("pair", "ETH_USDC", "ETH/USDC"),
        ("country", "us", "US"),
        ("event_time", "2026-12-04T16:00:00+08:00", "2026-12-04T08:00:00+00:00"),
        ("event_time", "2026-12-04T08:00:00", "2026-12-04T08:00:00+00:00"),
        ("organisation", "SEC", "u.s. securities and exchange commission"),
        ("organisation", "PeckShield", "peckshield"),
    ],
)
def test_values_normalise_to_one_form(kind: str, value: str, normalised: str) -> None:
    aliases = {"sec": "U.S. Securities and Exchange Commission"}
    assert normalise_mention(kind, value, aliases) == (kind, normalised)


def test_category_accuracy_is_the_share_of_agreements() -> None:
    pairs = [
        ("listing", "listing"),
        ("other", "delisting"),
        (None, "promotion"),
        ("airdrop", "airdrop"),
    ]
    assert category_accuracy(pairs) == 0.5


def test_a_failing_or_wrong_extractor_scores_low() -> None:
    """Errors count as empty output, wrong categories and mentions count against it."""
    first, second = (replace(d, mentions=d.mentions[:2]) for d in LABELS[:2])

    def extract(content: bytes, *, url: str | None, source: str | None, fetched_at: datetime):
        if url == second.url:
            raise ValueError("unreadable")
        mentions = [SimpleNamespace(kind=k, value=v) for k, v in first.mentions[:1]]
        return SimpleNamespace(body_text=first.body, category="other", mentions=mentions)

    report = score_set(extract, [first, second], aliases={})
    assert [error["file"] for error in report["errors"]] == [second.file]
    assert report["body"]["f1_mean"] == 0.5
    assert report["category_accuracy"] == 0.0
    found = sum(report["mentions"][kind]["tp"] for kind in MENTION_KINDS)
    missed = sum(report["mentions"][kind]["fn"] for kind in MENTION_KINDS)
    assert (found, missed) == (1, 3)


def test_listed_hits_count_coins_pairs_and_the_effective_date() -> None:
    listed = Listed(
        coins=("YZY", "ABC"),
        pairs=("YZY/USDT",),
        effective_at=datetime.fromisoformat("2026-12-02T04:30:00+00:00"),
        pair_kind="spot",
    )
    on_the_day = SimpleNamespace(kind="event_time", value="2026-12-02T12:30:00+08:00")
    day_before = SimpleNamespace(kind="event_time", value="2026-12-01T23:00:00+00:00")
    article = SimpleNamespace(coins=["YZY", "USDT"], pairs=["YZY/USDT"], mentions=[day_before])
    assert listed_hits(listed, article) == {
        "coins": 2,
        "coins_found": 1,
        "pairs": 1,
        "pairs_found": 1,
        "effective_found": 0,
    }
    article.mentions.append(on_the_day)  # 12:30 at UTC+8 is 04:30 UTC, the same day
    assert listed_hits(listed, article)["effective_found"] == 1
    assert listed_hits(None, article) is None


def test_language_figures_split_by_language_and_holdout() -> None:
    def row(language: str, category: str, expected: str, listed: dict | None, holdout: bool):
        return {
            "language": language,
            "holdout": holdout,
            "category": category,
            "expected_category": expected,
            "listed": listed,
            "mention_counts": {"coin": Counts(1, 0, 1)},
        }

    hit = {"coins": 1, "coins_found": 1, "pairs": 2, "pairs_found": 1, "effective_found": 1}
    miss = {"coins": 1, "coins_found": 0, "pairs": 0, "pairs_found": 0, "effective_found": 0}
    report = {
        "per_document": [
            row("zh", "listing", "listing", hit, False),
            row("zh", "other", "delisting", miss, True),
            row("zh", "airdrop", "airdrop", None, False),
            row("en", "listing", "listing", hit, False),
        ]
    }
    zh = language_figures(report)["zh"]
    assert (zh["documents"], zh["listing_documents"]) == (3, 2)
    assert zh["category_accuracy"] == pytest.approx(2 / 3)
    assert zh["listing_category_accuracy"] == 0.5
    assert zh["base_coin_among_coins"] == 0.5
    assert zh["pair_among_pairs"] == 0.5
    assert zh["event_time_on_effective_date"] == 0.5
    assert zh["coin_recall"] == 0.5
    held_out = language_figures(report, holdout=True)
    assert set(held_out) == {"zh"} and held_out["zh"]["listing_category_accuracy"] == 0.0
