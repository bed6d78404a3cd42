"""Near-duplicate fingerprints: a 64-bit SimHash that tells one story told twice from two
stories told with the same template.

Exchanges re-use templates ("Notice of Removal of Spot Trading Pairs", "Binance Futures Will
Delist USDⓈ-M ... Perpetual Contract"): two different notices share nearly every word and
differ only in their pairs, tickers and dates. A plain shingle SimHash puts those a few bits
apart, closer than one announcement carried by two exchanges with their own greetings and
footers. So the fingerprint weighs what makes a story that story: besides word shingles
(character shingles for Chinese, Japanese and Korean), its *entities* — numbers and dates
(``2026-09-04``, ``03:00``, ``12,960,000``) and the coins and pairs
:func:`transform.symbols.find_symbols` names — carry as much weight as all the shingles
together. Same entities and mostly the same words: the same story; same words but other
entities: another story.

Fingerprints compare within one language only: a translation shares its numbers and tickers
but none of its shingles, so the English and Chinese versions of one announcement land about
as far apart as unrelated articles with the same coins. Link translations by the source's
own ids (``Article.native_id``), not by fingerprint.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from transform.symbols import find_symbols

BITS = 64
BANDS = 4
SHINGLE = 3
# Entities weigh this much relative to all shingles together (measured in the tests).
ENTITY_SHARE = 1.0
# Largest Hamming distance between two fingerprints of one story. Measured on the test set
# (tests/transform/test_fingerprint.py): light edits and re-wrapped copies stay at or below
# it, different notices of one template stay above.
SAME_STORY_DISTANCE = 12

# One CJK character (Han, kana, Hangul) is one token; numbers keep their inner separators
# ("2026-09-04", "03:00", "12,960,000", "1.5"); everything else is runs of letters.
_TOKEN = re.compile(
    r"(?P<cjk>[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff])"
    r"|(?P<number>\d+(?:[.,:/-]\d+)*)"
    r"|(?P<word>[^\W\d_]+)"
)


def _tokens(text: str) -> tuple[list[str], list[str]]:
    """Normalised tokens in order, and the entity tokens among them (numbers)."""
    tokens, numbers = [], []
    for match in _TOKEN.finditer(unicodedata.normalize("NFKC", text).casefold()):
        token = match[0]
        if match["number"]:
            # "2026/09/04" is "2026-09-04"; "12,960,000" is "12960000"
            token = token.replace(",", "").replace("/", "-")
            numbers.append(token)
        tokens.append(token)
    return tokens, numbers


def _hash(feature: str) -> int:
    """A stable 64-bit hash (Python's ``hash`` changes between runs)."""
    return int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "big")


def _features(text: str) -> dict[str, float]:
    tokens, numbers = _tokens(text)
    size = min(SHINGLE, len(tokens))
    features: dict[str, float] = {}
    for index in range(len(tokens) - size + 1) if size else ():
        key = "s:" + " ".join(tokens[index : index + size])
        features[key] = features.get(key, 0.0) + 1.0
    symbols = find_symbols(unicodedata.normalize("NFKC", text))
    entities = set(numbers) | {coin.casefold() for coin in symbols.coins}
    entities |= {pair.casefold() for pair in symbols.pairs}
    if entities:
        weight = ENTITY_SHARE * max(sum(features.values()), 1.0) / len(entities)
        for entity in entities:
            features["e:" + entity] = weight
    return features


def fingerprint(text: str) -> str:
    """The SimHash of ``text`` as 16 hex digits; equal for texts that differ only in case,
    whitespace and punctuation, a few bits apart for light edits."""
    totals = [0.0] * BITS
    for feature, weight in _features(text).items():
        value = _hash(feature)
        for bit in range(BITS):
            totals[bit] += weight if value >> bit & 1 else -weight
    number = sum(1 << bit for bit, total in enumerate(totals) if total > 0)
    return f"{number:016x}"


def hamming(a: str, b: str) -> int:
    """How many of the 64 bits two fingerprints differ in."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def story_key(fingerprint: str, bands: int = BANDS) -> list[str]:
    """Band keys for candidate lookup: two fingerprints within ``bands - 1`` bits share at
    least one key (pigeonhole), so a warehouse joins on keys, then checks :func:`same_story`.

    With 4 bands of 16 bits that guarantees recall up to 3 bits only; a threshold above it
    is reached by most pairs (bits are spread over the bands), not all — use more bands
    (``bands=8`` for 8-bit bands) where recall matters more than candidate counts.
    """
    if BITS % bands:
        raise ValueError(f"{BITS} bits do not split into {bands} bands")
    width = BITS // bands // 4  # hex digits per band
    return [f"{band}:{fingerprint[band * width : (band + 1) * width]}" for band in range(bands)]


def same_story(a: str, b: str, max_distance: int = SAME_STORY_DISTANCE) -> bool:
    """Whether two fingerprints (of one language) tell the same story."""
    return hamming(a, b) <= max_distance
