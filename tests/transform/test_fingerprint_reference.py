"""The vectorised fingerprint gives the same bits as the pure-Python SimHash it replaced.

Fingerprints are stored in the warehouse and compared across runs: a new implementation
that moved a bit would split stories already grouped. The reference below is the former
implementation, kept here only, word for word in what it computes.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.news_pages import news_pages
from transform.enrich.fingerprint import (
    BITS,
    ENTITY_SHARE,
    MIN_ENTITIES,
    SHINGLE,
    fingerprint,
)
from transform.enrich.symbols import find_symbols

ROOT = Path(__file__).resolve().parents[2]
# The tokens as the former implementation read them (its own copy: the module's pattern
# may change shape, the tokens it gives may not).
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(
    rf"(?P<cjk>[{_CJK}])"
    rf"|(?P<number>\d+(?:[.,:/-]\d+)*)(?![^\W_{_CJK}])"
    rf"|(?P<word>[^\W_{_CJK}]+)"
)


def reference_tokens(text: str) -> tuple[list[str], set[str]]:
    tokens: list[str] = []
    entities: set[str] = set()
    for match in _TOKEN.finditer(unicodedata.normalize("NFKC", text).casefold()):
        token = match[0]
        if match["number"]:
            token = re.sub(r"\D", "", token)
        if not token.isalpha() and any(char.isdigit() for char in token):
            entities.add(token)
        tokens.append(token)
    return tokens, entities


def reference_features(text: str) -> dict[str, int]:
    tokens, entities = reference_tokens(text)
    size = min(SHINGLE, len(tokens))
    shingles: dict[str, int] = {}
    for index in range(len(tokens) - size + 1) if size else ():
        key = "s:" + " ".join(tokens[index : index + size])
        shingles[key] = shingles.get(key, 0) + 1
    symbols = find_symbols(unicodedata.normalize("NFKC", text).upper())
    entities |= {pair.casefold() for pair in symbols.pairs}
    share = max(len(entities), MIN_ENTITIES)
    features = {key: count * share for key, count in shingles.items()}
    weight = ENTITY_SHARE * max(sum(shingles.values()), 1)
    features.update({"e:" + entity: weight for entity in entities})
    return features


def reference_fingerprint(text: str) -> str:
    """The SimHash as transform.enrich.fingerprint computed it before numpy (commit f296160)."""
    sums = [[0] * 256 for _ in range(BITS // 8)]
    everything = 0
    for feature, weight in reference_features(text).items():
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        for position, value in enumerate(digest):
            sums[position][value] += weight
        everything += weight
    number = 0
    for bit in range(BITS):
        position, mask = BITS // 8 - 1 - bit // 8, 1 << bit % 8
        with_bit = sum(weight for value, weight in enumerate(sums[position]) if value & mask)
        if 2 * with_bit > everything:
            number |= 1 << bit
    return f"{number:016x}"


def corpus_texts() -> list[str]:
    """Real-shaped texts: fixture payload strings, the quality set's bodies, news pages."""
    texts: list[str] = []
    labels = json.loads((ROOT / "tests" / "quality" / "labels.json").read_text("utf-8"))
    texts += [entry["body"] for entry in labels["documents"]]
    for path in sorted((ROOT / "tests" / "fixtures").rglob("*.json")):
        found = re.findall(r'"(?:title|body|content|description)"\s*:\s*"((?:[^"\\]|\\.)*)"',
                           path.read_text("utf-8", errors="replace"))  # fmt: skip
        texts += [value for value in found if len(value) > 20][:5]
    texts += [page.body_text for page in news_pages(40)]
    return texts


def shaped_texts(count: int = 300) -> list[str]:
    """Mixed scripts, numbers with separators, pairs, full-width forms and odd digits."""
    rng = random.Random(2026)
    pieces = (
        "BTC/USDT", "eth_usdt", "1000PEPEUSDT", "kp3r", "2026-09-04", "03:00", "12,960,000",
        "上线", "永续合约", "ＢＴＣ／ＵＳＤＴ", "１２３", "²", "①", "٣", "カナ", "한국어",
        "Ünïcödé",
        "the", "market", "will", "list", ".", ",", "!", "\n", "  ", "$3.5M", "25%", "x1", "v2.0",
    )  # fmt: skip
    return [" ".join(rng.choice(pieces) for _ in range(rng.randint(0, 60))) for _ in range(count)]


@pytest.mark.parametrize("kind", ["corpus", "shaped"])
def test_same_bits_as_the_former_implementation(kind: str) -> None:
    texts = corpus_texts() if kind == "corpus" else shaped_texts()
    assert len(texts) > 100
    different = [text[:80] for text in texts if fingerprint(text) != reference_fingerprint(text)]
    assert different == []


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_same_bits_on_any_text(text: str) -> None:
    assert fingerprint(text) == reference_fingerprint(text)


def test_an_empty_text_has_the_all_zero_fingerprint() -> None:
    assert fingerprint("") == reference_fingerprint("") == "0" * 16
