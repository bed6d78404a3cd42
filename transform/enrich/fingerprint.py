"""Near-duplicate fingerprints: a 64-bit SimHash that tells one story told twice from two
stories told with one template.

Exchanges re-use templates ("Notice of Removal of Spot Trading Pairs", "Binance Futures Will
Delist USDⓈ-M ... Perpetual Contract"): two different notices share nearly every word and
differ only in their pairs and dates. A plain shingle SimHash puts those 5 to 10 bits apart,
while another greeting and footer around one text move it up to 18 bits: no threshold
separates them. So the fingerprint weighs what makes a story that story: besides word
3-shingles (character 3-shingles for Chinese, Japanese and Korean), its *entities* — tokens
with digits (dates, times, amounts, block heights, "kp3r") and trading pairs — carry as much
weight together as all the shingles. Same entities and mostly the same words: the same
story; the same words around other pairs and dates: another story.

Measured on the Binance fixtures (tests/transform/test_fingerprint.py): case, whitespace and
punctuation change nothing (unless dropping a full stop glues two words); a typo, an added
sentence, a dropped paragraph or another greeting and footer move at most 7 bits; one
announcement under two exchanges' boilerplate 2; different notices of one template at least
15. :data:`SAME_STORY_DISTANCE` (10) sits between.

Limits: fingerprints compare within one language. A translation shares its numbers and
pairs but no shingle, so it is another story (17 bits from its original in the tests): link
translations by the source's ids (``native_id``). Dates in other formats ("2026-09-16",
"September 16, 2026") are other entities, so two exchanges' own write-ups of one event are
not near-duplicates: only re-published text is.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from hashlib import blake2b

import numpy as np

from transform.enrich.symbols import find_pairs

BITS = 64
SHINGLE = 3
# Entities together weigh ENTITY_SHARE times all shingles; a text with fewer than
# MIN_ENTITIES entities gives each only 1/MIN_ENTITIES of that, so one stray number in a
# long post cannot swing the fingerprint.
ENTITY_SHARE = 1
MIN_ENTITIES = 8
# Largest Hamming distance between fingerprints of one story (see the module docstring).
SAME_STORY_DISTANCE = 10
# 8 bands of 8 bits: any two fingerprints within 7 bits share a band key (pigeonhole) and
# about 96% of pairs 10 bits apart do; 4 bands of 16 bits would only guarantee 3 bits.
BANDS = 8

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
# A CJK character (Han, kana, Hangul) is a token; a number keeps its inner separators until
# normalised ("2026-09-04", "03:00", "12,960,000"); other tokens are runs of letters and
# digits ("kp3r", "1000pepeusdt").
_TOKEN = re.compile(
    rf"[{_CJK}]"  # no groups: findall gives strings, not tuples
    rf"|\d+(?:[.,:/-]\d+)*(?![^\W_{_CJK}])"
    rf"|[^\W_{_CJK}]+"
)
_NOT_DIGIT = re.compile(r"\D")


def _tokens(normalized: str) -> tuple[list[str], set[str]]:
    """Case-folded tokens of NFKC text in order, and the entities among them (those with
    digits: every number, and words such as "kp3r")."""
    tokens = [
        # A token of several characters that is not all letters and digits is a number
        # with separators ("2026/09/04", "2026-09-04"): one entity, its digits.
        token if len(token) == 1 or token.isalnum() else _NOT_DIGIT.sub("", token)
        for token in _TOKEN.findall(normalized.casefold())
    ]
    entities = {
        token for token in set(tokens) if not token.isalpha() and any(map(str.isdigit, token))
    }
    return tokens, entities


def _features(text: str) -> dict[str, int]:
    """Shingles and entities with their weights, all integers: a float sum would depend on
    the order of a set and could flip a bit whose total is near zero from run to run."""
    normalized = unicodedata.normalize("NFKC", text)
    tokens, entities = _tokens(normalized)
    if len(tokens) >= SHINGLE:
        windows = zip(*(tokens[offset:] for offset in range(SHINGLE)), strict=False)
        shingles = Counter(map(" ".join, windows))
    else:
        shingles = Counter([" ".join(tokens)] if tokens else [])
    # Pairs as find_symbols reads them; upper-cased first so the case cannot matter.
    entities |= {pair.casefold() for pair in find_pairs(normalized.upper())}
    # Each shingle occurrence weighs `share` (entities' count, at least MIN_ENTITIES), each
    # entity all shingle occurrences times ENTITY_SHARE: together, ENTITY_SHARE times them.
    share = max(len(entities), MIN_ENTITIES)
    features = {"s:" + key: count * share for key, count in shingles.items()}
    weight = ENTITY_SHARE * max(shingles.total(), 1)
    features.update({"e:" + entity: weight for entity in entities})
    return features


def fingerprint(text: str) -> str:
    """The SimHash of ``text`` as 16 hex digits: the same for texts that differ only in case,
    whitespace and punctuation, a few bits apart for light edits.

    Each feature's 64-bit hash (BLAKE2b, big-endian) sets bit *i* of the fingerprint when
    the features whose hash has bit *i* weigh more than half of all features. The hashes are
    unpacked into a features x 64 matrix of bits, and one product with the weights gives all
    64 totals at once.
    """
    features = _features(text)
    digests = b"".join(
        blake2b(feature.encode(), digest_size=BITS // 8).digest() for feature in features
    )
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8)).reshape(-1, BITS)
    weights = np.fromiter(features.values(), dtype=np.int64, count=len(features))
    with_bit = weights @ bits  # most significant bit first, as the hash is big-endian
    return np.packbits(2 * with_bit > weights.sum()).tobytes().hex()


def hamming(a: str, b: str) -> int:
    """How many of the 64 bits two fingerprints differ in."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def story_key(fingerprint: str, bands: int = BANDS) -> list[str]:
    """Band keys ("<band>:<hex>") for candidate lookup: a warehouse joins articles on a
    shared key, then keeps the pairs :func:`same_story` accepts.

    Two fingerprints fewer than ``bands`` bits apart always share a key; farther pairs do
    with a chance that falls with the distance (8 bands: 96% at 10 bits, 86% at 12).
    """
    if bands not in (1, 2, 4, 8, 16):
        raise ValueError(f"{BITS} bits do not split into {bands} whole-hex bands")
    width = len(fingerprint) // bands
    return [f"{band}:{fingerprint[band * width : (band + 1) * width]}" for band in range(bands)]


def same_story(a: str, b: str, max_distance: int = SAME_STORY_DISTANCE) -> bool:
    """Whether two fingerprints (of texts in one language) tell the same story."""
    return hamming(a, b) <= max_distance


def pick_story(
    fingerprint: str, candidates: Iterable[tuple[str, str]], max_distance: int = SAME_STORY_DISTANCE
) -> str | None:
    """The story of the nearest ``(story_id, fingerprint)`` candidate within reach, if any."""
    best: tuple[int, str] | None = None
    for story_id, other in candidates:
        distance = hamming(fingerprint, other)
        if distance <= max_distance and (best is None or distance < best[0]):
            best = (distance, story_id)
    return best[1] if best else None
