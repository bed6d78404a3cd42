"""One category per article from a fixed taxonomy: the source's own label first, then rules.

Taxonomy (see README): listing, delisting, maintenance, deposit_withdrawal, trading_rules,
product, promotion, airdrop, security, regulation, market_news, other.

The rules are per-language tables of patterns (``transform/enrich/rules/<language>.toml``,
docs/languages.md). Categories are tried in :data:`CATEGORY_ORDER`, the same for every
language: the first one a pattern of any table matches wins. The title decides; when it
names no category, the first sentences of the body do.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from transform.enrich.rules import LanguageRules, RulesError, language_rules
from transform.enrich.topics import has_top_level_alternatives, literal_stems

TAXONOMY = (
    "listing",
    "delisting",
    "maintenance",
    "deposit_withdrawal",
    "trading_rules",
    "product",
    "promotion",
    "airdrop",
    "security",
    "regulation",
    "market_news",
    "other",
)

# Most specific first: a delisting notice may also say "listing", a listing notice "up to
# 20x leverage", a news story "launch". Maintenance comes before deposits and withdrawals
# ("Wallet maintenance ..., deposits credited late"); its tables leave an upgrade that
# suspends deposits ("Suspend Deposits ... for the Network Upgrade") to the latter.
CATEGORY_ORDER = (
    "delisting",
    "listing",
    "maintenance",
    "deposit_withdrawal",
    "airdrop",
    "trading_rules",
    "security",
    "regulation",
    "promotion",
    "product",
    "market_news",
)

# How much of the body speaks for a silent title: its first two paragraphs (a greeting and
# the sentence saying what the notice is about: "币安将于 ... 下架 ..."), at most this many
# characters; the rest (risk warnings, sign-up calls) is the same on every page.
BODY_LEAD_PARAGRAPHS = 2
BODY_LEAD_CHARS = 300
# A title is read up to here: a "title" longer is a whole text on one line (a paste, a
# post), and patterns with a clause between two words must stay linear on it.
TITLE_CHARS = 500


def category_from_title(title: str | None) -> str:
    """Rules on the title, for sources whose own label does not decide."""
    return _first_category(title) or "other"


def category_from_text(title: str | None, body: str | None) -> str:
    """Rules on the title, else on the opening of the body; "other" when neither names one."""
    return _first_category(title) or _first_category(_lead(body or "")) or "other"


def _lead(body: str) -> str:
    paragraphs = [line for line in body[: BODY_LEAD_CHARS * 2].split("\n") if line.strip()]
    return "\n".join(paragraphs[:BODY_LEAD_PARAGRAPHS])[:BODY_LEAD_CHARS]


# The title is read twice (by the source's rule, then by enrich when that gave "other").
@lru_cache(maxsize=8)
def _first_category(text: str | None) -> str | None:
    if not text:
        return None
    text = text[:TITLE_CHARS]
    # A category whose every pattern opens with a literal is searched for only where one of
    # them occurs; "ı" and "İ" match "i" case-insensitively but fold to other letters.
    folded = None if "ı" in text or "İ" in text else text.casefold()
    for category, pattern, stems in _patterns():
        if folded is not None and stems and not any(stem in folded for stem in stems):
            continue
        if pattern.search(text):
            return category
    return None


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...]:
    """Category -> one pattern of every table's patterns for it, in CATEGORY_ORDER, and the
    literals one of which every match opens with (casefolded), or none when a pattern
    opens with no literal."""
    tables = language_rules()
    for table in tables:
        unknown = set(table.categories) - set(CATEGORY_ORDER)
        if unknown:
            raise RulesError(f"{table.language}: unknown categories {sorted(unknown)}")
    return tuple(
        (category, re.compile("|".join(_alternatives(tables, category))), _stems(tables, category))
        for category in CATEGORY_ORDER
        if any(table.categories.get(category) for table in tables)
    )


def _stems(tables: tuple[LanguageRules, ...], category: str) -> tuple[str, ...]:
    """Casefolded literals one of which every match of every table's patterns for
    ``category`` contains (:func:`_needles`); none when a pattern has none."""
    stems = [
        stem.casefold()
        for table in tables
        for pattern in table.categories.get(category, ())
        for stem in _needles(pattern)
    ]
    return () if "" in stems else tuple(dict.fromkeys(stems))


# A pattern that ends in a group of plain alternatives: "(?:交易对|合约)...(?:下线|停止交易)".
_TRAILING_ALTERNATIVES = re.compile(r"\(\?:([^\\\[\](){}?*+.^$]+)\)$")


def _needles(pattern: str) -> tuple[str, ...]:
    """Literals one of which every match of ``pattern`` contains: those it opens with ("\\b"
    aside), else those of a group of plain alternatives it ends in; ("",) for none."""
    stems = literal_stems(pattern.removeprefix(r"\b"))
    if "" not in stems:
        return stems
    trailing = _TRAILING_ALTERNATIVES.search(pattern)
    # Appending "|" to what comes before the group tells whether the group stands outside
    # any other group (and the pattern then has no alternatives of its own).
    if (
        trailing is None
        or has_top_level_alternatives(pattern)
        or not has_top_level_alternatives(pattern[: trailing.start()] + "|")
    ):
        return ("",)
    return tuple(trailing[1].split("|"))


def _alternatives(tables: tuple[LanguageRules, ...], category: str) -> list[str]:
    """Each table's patterns, case-insensitive in "words" tables, as written in the others."""
    return [
        f"(?i:{pattern})" if table.match == "words" else f"(?:{pattern})"
        for table in tables
        for pattern in table.categories.get(category, ())
    ]
