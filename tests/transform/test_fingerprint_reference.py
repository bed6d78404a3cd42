"""The vectorised fingerprint gives the bits of a plain reading of its definition.

Fingerprints are stored in the warehouse and compared across runs: an optimisation that
moved a bit would split stories already grouped (a change of definition is a new version
and a reprocess, as version 2 was). The reference below computes version 2 one shingle at
a time in Python integers, the way the module docstring describes it.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xxhash import xxh3_64_intdigest

from bench.news_pages import news_pages
from transform.enrich.fingerprint import (
    _ENTITY_SEED,
    _SHINGLE_SEED,
    BITS,
    ENTITY_SHARE,
    MIN_ENTITIES,
    SHINGLE,
    fingerprint,
)
from transform.enrich.symbols import find_symbols

ROOT = Path(__file__).resolve().parents[2]
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
MASK = (1 << BITS) - 1


def reference_tokens(text: str) -> list[str]:
    """Case-folded NFKC text, separators between digits dropped, cut into CJK characters
    and runs of other letters and digits."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    joined = re.sub(r"(?<=\d)[.,:/-](?=\d)", "", folded)
    return re.findall(rf"[{_CJK}]|[^\W_{_CJK}]+", joined)


def rotate(value: int, places: int) -> int:
    return ((value << places) | (value >> (BITS - places))) & MASK if places else value


def fmix64(value: int) -> int:
    """MurmurHash3's 64-bit finaliser."""
    value ^= value >> 33
    value = (value * 0xFF51AFD7ED558CCD) & MASK
    value ^= value >> 33
    value = (value * 0xC4CEB9FE1A85EC53) & MASK
    return value ^ (value >> 33)


def reference_features(text: str) -> dict[int, int]:
    """Feature hash -> weight: shingles weigh their count times the entities' share,
    entities (tokens with digits, pairs) together as much as all shingles."""
    tokens = reference_tokens(text)
    token_hash = [xxh3_64_intdigest(token.encode(), _SHINGLE_SEED) for token in tokens]
    if len(tokens) >= SHINGLE:
        shingles = Counter(
            fmix64(token_hash[i] ^ rotate(token_hash[i + 1], 21) ^ rotate(token_hash[i + 2], 42))
            for i in range(len(tokens) - SHINGLE + 1)
        )
    else:
        joined = " ".join(tokens).encode()
        shingles = Counter([xxh3_64_intdigest(joined, _SHINGLE_SEED)] if tokens else [])
    entities = {t for t in tokens if not t.isalpha() and any(c.isdigit() for c in t)}
    symbols = find_symbols(unicodedata.normalize("NFKC", text).upper())
    entities |= {pair.casefold() for pair in symbols.pairs}
    share = max(len(entities), MIN_ENTITIES)
    features = {key: count * share for key, count in shingles.items()}
    weight = ENTITY_SHARE * max(sum(shingles.values()), 1)
    for entity in entities:
        key = xxh3_64_intdigest(entity.encode(), _ENTITY_SEED)
        features[key] = features.get(key, 0) + weight
    return features


def reference_fingerprint(text: str) -> str:
    """Bit i is set when the features whose hash has bit i weigh more than half."""
    features = reference_features(text)
    everything = sum(features.values())
    number = 0
    for bit in range(BITS):
        with_bit = sum(weight for key, weight in features.items() if key >> bit & 1)
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
def test_same_bits_as_the_definition(kind: str) -> None:
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
