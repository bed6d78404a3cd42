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
sentence, a dropped paragraph or another greeting and footer move at most 6 bits; one
announcement under two exchanges' boilerplate 4; different notices of one template at least
15. :data:`SAME_STORY_DISTANCE` (10) sits between.

Version 2 (this one) hashes each token once with xxh3 and mixes three tokens' hashes into a
shingle's in numpy, where version 1 hashed every shingle's text with BLAKE2b: a third of
the time. Same features and weights, other bits, so fingerprints of the two versions do not
compare: ``exnews reprocess`` over the stored history rewrites them and the stories built
on them (docs/upgrading.md).

Limits: fingerprints compare within one language. A translation shares its numbers and
pairs but no shingle, so it is another story (14 bits from its original in the tests): link
translations by the source's ids (``native_id``). Dates in other formats ("2026-09-16",
"September 16, 2026") are other entities, so two exchanges' own write-ups of one event are
not near-duplicates: only re-published text is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import numpy as np
from xxhash import xxh3_64_intdigest

from transform.enrich.symbols import find_pairs
from transform.limits import ENRICH_TEXT_CHARS

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
# A separator between digits goes before tokenising, so "2026-09-04", "2026/09/04" and
# "12,960,000" are one entity each, their digits; a token is then a CJK character (Han, kana,
# Hangul) or a run of other letters and digits ("kp3r", "1000pepeusdt").
_NUMBER_SEPARATOR = re.compile(r"[.,:/-](?<=\d.)(?=\d)")  # the separator first: faster to find
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_DIGIT = re.compile(r"\d")
# Seeds of xxh3 for the two kinds of feature, so that a token is not its own entity. Which
# bits a feature sets is luck, and the measured distances move with it: over the seed pairs
# (0, 1) to (22, 23), light edits of the Binance notices 5 to 8 bits, one announcement under
# two exchanges' boilerplate 4 to 15, notices of one template at least 12, a translation 9
# to 18. This pair is one of the four that keep every case on its side of the threshold.
_SHINGLE_SEED, _ENTITY_SEED = 22, 23
# A shingle's hash: its tokens' hashes rotated by their place, xor-ed, then the 64-bit
# finaliser of MurmurHash3 (fmix64), so that every input bit reaches every output bit.
_ROTATIONS = (0, 21, 42)
_FMIX = (np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))


def _tokens(text: str) -> tuple[list[str], set[str]]:
    """Case-folded tokens of NFKC text in order, and the entities among them (those with
    digits: every number, and words such as "kp3r")."""
    tokens = _TOKEN.findall(_NUMBER_SEPARATOR.sub("", text.casefold()))
    entities = {token for token in set(tokens) if not token.isalpha() and _DIGIT.search(token)}
    return tokens, entities


def _hashes(values: list[str], seed: int) -> np.ndarray:
    """xxh3-64 of each value's UTF-8, one encode for all (no token holds a NUL)."""
    encoded = "\0".join(values).encode().split(b"\0") if values else []
    return np.fromiter(
        (xxh3_64_intdigest(value, seed) for value in encoded), dtype=np.uint64, count=len(values)
    )


def _shingle_hashes(token_hashes: np.ndarray) -> np.ndarray:
    """The hash of every run of ``SHINGLE`` tokens, from the tokens' hashes, at once."""
    runs = len(token_hashes) - SHINGLE + 1
    mixed = np.zeros(runs, dtype=np.uint64)
    for offset, rotation in enumerate(_ROTATIONS[:SHINGLE]):
        part = token_hashes[offset : offset + runs]
        if rotation:
            part = (part << np.uint64(rotation)) | (part >> np.uint64(BITS - rotation))
        mixed ^= part
    with np.errstate(over="ignore"):  # the finaliser multiplies modulo 2**64 on purpose
        for multiplier in _FMIX:
            mixed ^= mixed >> np.uint64(33)
            mixed *= multiplier
        mixed ^= mixed >> np.uint64(33)
    return mixed


def _features(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The features' hashes and their weights, all integers: a float sum would depend on the
    order of a set and could flip a bit whose total is near zero from run to run."""
    normalized = unicodedata.normalize("NFKC", text)
    tokens, entities = _tokens(normalized)
    if len(tokens) >= SHINGLE:
        shingles, counts = np.unique(
            _shingle_hashes(_hashes(tokens, _SHINGLE_SEED)), return_counts=True
        )
    else:  # a text of one or two tokens is one feature
        shingles = _hashes([" ".join(tokens)] if tokens else [], _SHINGLE_SEED)
        counts = np.ones(len(shingles), dtype=np.int64)
    entities |= {pair.casefold() for pair in _pairs(normalized)}
    # Each shingle occurrence weighs `share` (entities' count, at least MIN_ENTITIES), each
    # entity all shingle occurrences times ENTITY_SHARE: together, ENTITY_SHARE times them.
    share = max(len(entities), MIN_ENTITIES)
    weight = ENTITY_SHARE * max(int(counts.sum()), 1)
    hashes = np.concatenate([shingles, _hashes(list(entities), _ENTITY_SEED)])
    weights = np.concatenate(
        [counts.astype(np.int64) * share, np.full(len(entities), weight, dtype=np.int64)]
    )
    return hashes, weights


def _pairs(normalized: str) -> set[str]:
    """The pairs find_symbols reads in the upper-cased text (so the case cannot matter), read
    in its distinct words: a pair never spans a space and its edges only look at letters and
    digits, so a word repeated in the text cannot add a pair."""
    upper = normalized.upper()[:ENRICH_TEXT_CHARS]
    return set(find_pairs(" ".join(dict.fromkeys(upper.split()))))


def fingerprint(text: str) -> str:
    """The SimHash of ``text`` as 16 hex digits: the same for texts that differ only in case,
    whitespace and punctuation, a few bits apart for light edits.

    Bit *i* of the fingerprint is set when the features whose 64-bit hash has bit *i* weigh
    more than half of all features. The hashes are unpacked into a features x 64 matrix of
    bits, and one product with the weights gives all 64 totals at once.
    """
    hashes, weights = _features(text)
    bits = np.unpackbits(hashes.astype(">u8").view(np.uint8)).reshape(-1, BITS)
    with_bit = weights @ bits  # most significant bit first, as the hashes are big-endian
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
