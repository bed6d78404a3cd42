"""The language an article is written in, offline (py3langid), as an ISO 639-1 code.

Scripts that belong to one language among those exchanges publish in decide by themselves
(Hangul: ko, kana: ja, other Han: zh — simplified and traditional alike —, Thai: th, Arabic:
ar), weighing a CJK or Thai character as three letters so the tickers in a Chinese post do
not make it English. Latin and Cyrillic text goes to py3langid restricted to
:data:`LANGUAGES`, so a short English title cannot come out as Luxembourgish; when it is
still unsure (crypto titles are mostly names and tickers) and the text is plain ASCII, the
answer is English, the language exchanges write in first.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

LANGUAGES = (
    "en", "zh", "ja", "ko", "ru", "es", "pt", "fr", "de", "tr", "vi", "id", "ar", "uk", "it",
    "pl", "th",
)  # fmt: skip
# Fewer letters than this, once tickers, numbers and links are gone: no answer.
MIN_LETTERS = 4
# Below this py3langid probability an ASCII-only text is taken as English.
MIN_CONFIDENCE = 0.5
# Enough text to decide; the rest only costs time. On the 1,168 titles, bodies and both of
# the quality set, the fixtures' payload texts and the bench pages, 800 characters gave the
# answers 2,000 did.
SAMPLE_CHARS = 1000
# What py3langid reads of the sample (its cost grows with the length): on the 1,600 titles,
# bodies and both of the quality set, the fixtures and the bench pages, 300 already gave
# the answers 2,000 did.
CLASSIFY_CHARS = 600

_NOISE = re.compile(
    # Links, addresses (from a word's start only: tried inside every word, "\S+@" would
    # read to the word's end at each of its characters)
    r"https?://\S+|www\.\S+|(?<!\S)\S+@\S+"
    r"|\$?\b(?=[A-Z0-9./-]*[A-Z])[A-Z0-9][A-Z0-9./-]*\b"  # tickers, pairs: BTC, KP3R, ETH/USDT
    r"|\d[\d.,:/-]*"  # numbers, dates, times
)
_SCRIPTS = {
    "han": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"),
    "kana": re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]"),
    "hangul": re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]"),
    "thai": re.compile(r"[\u0e00-\u0e7f]"),
    "arabic": re.compile(r"[\u0600-\u06ff\u0750-\u077f]"),
}
_DENSE_WEIGHT = 3  # a CJK or Thai character carries about as much as three Latin letters


@cache
def _identifier() -> LanguageIdentifier:
    """py3langid's model restricted to LANGUAGES (loaded once; our own instance, so the
    module-level one other code may use keeps all its languages)."""
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def _script_language(counts: dict[str, int], letters: int) -> str | None:
    """The language a dominant one-language script gives (``counts``: characters of each
    script), else None (Latin, Cyrillic)."""
    cjk = counts["han"] + counts["kana"]
    dense = {
        "cjk": cjk * _DENSE_WEIGHT,
        "hangul": counts["hangul"] * _DENSE_WEIGHT,
        "thai": counts["thai"] * _DENSE_WEIGHT,
        "arabic": counts["arabic"],
    }
    script, weight = max(dense.items(), key=lambda item: item[1])
    other_letters = letters - sum(counts.values())
    if weight == 0 or weight <= other_letters:
        return None
    if script == "cjk":  # Japanese writes a fifth or more of its text in kana
        return "ja" if counts["kana"] * 5 >= cjk else "zh"
    return {"hangul": "ko", "thai": "th", "arabic": "ar"}[script]


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text``'s language, or None for empty or too-short text."""
    # Normalise the head only (twice a sample: composing accents shrinks text, not by half).
    sample = unicodedata.normalize("NFKC", (text or "")[: 2 * SAMPLE_CHARS])[:SAMPLE_CHARS]
    # An all-capitals headline has no tickers to tell apart: read it in lower case. Two
    # capital words ("BTC/USDT", "USDT 100") are tickers, not a sentence.
    shouting = sample.isupper() and len(re.findall(r"[^\W\d_]{2,}", sample)) >= 3
    words = _NOISE.sub(" ", sample.lower() if shouting else sample)
    letters = sum(map(str.isalpha, words))
    counts = {name: len(pattern.findall(words)) for name, pattern in _SCRIPTS.items()}
    if letters + sum(counts.values()) * (_DENSE_WEIGHT - 1) < MIN_LETTERS:
        return None
    if language := _script_language(counts, letters):
        return language
    language, confidence = _identifier().classify(sample[:CLASSIFY_CHARS])
    if confidence < MIN_CONFIDENCE and words.isascii():
        return "en"
    return language
