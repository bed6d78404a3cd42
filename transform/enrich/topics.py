"""Topics of an article from the keywords of the per-language rules tables.

Unlike the single category (what kind of notice this is), an article has any number of
topics (what it is about): a delisting notice can also be about sanctions. A topic is
given only when one of its keywords appears as a word, so "ETF" needs "ETF"/"ETFs" or
"exchange-traded fund" (never "NETFLIX" or the ticker in "NFT/USDT"), and "hack" is not
in "hackathon". Keywords are case-insensitive except upper-case abbreviations (OFAC,
CBDC), which must be written in capitals.

Topics: airdrop, bankruptcy, cbdc, defi, delisting, enforcement, etf, exploit, fraud,
gambling, hack, lawsuit, listing, mining, money_laundering, nft, phishing, regulation,
rwa, sanctions, scam, stablecoin, staking, tax.

Keywords live in ``transform/enrich/rules/<language>.toml`` (docs/languages.md): regexes matched
between letter/digit boundaries in "words" tables (English), plain substrings in "text"
tables (Chinese).
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache

import ahocorasick

from transform.enrich.rules import language_rules

# Word boundaries that also keep tickers out: "NFT/USDT" and "USDT/NFT" name no NFT.
_BEFORE = r"(?<![A-Za-z0-9])(?<![A-Z0-9][/_-])"
_AFTER = r"(?![A-Za-z0-9]|[/_-][A-Z0-9]{2})"


@cache
def _patterns() -> dict[str, tuple[re.Pattern[str], tuple[str, ...]]]:
    """Topic -> one pattern of all its keywords, and the literals one of which any match
    contains (casefolded), or none when a keyword starts with no literal."""
    patterns: dict[str, tuple[re.Pattern[str], tuple[str, ...]]] = {}
    for topic, (regexes, substrings) in _keywords().items():
        words = [keyword if _is_abbreviation(keyword) else f"(?i:{keyword})" for keyword in regexes]
        alternatives = [_BEFORE + f"(?:{'|'.join(words)})" + _AFTER] if words else []
        alternatives += [re.escape(keyword) for keyword in substrings]
        stems = [
            stem.casefold()
            for keyword in (*regexes, *substrings)
            for stem in literal_stems(keyword)
        ]
        patterns[topic] = (re.compile("|".join(alternatives)), () if "" in stems else tuple(stems))
    return patterns


def _keywords() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Topic -> (word regexes, substrings) gathered from every table, each keyword once."""
    keywords: dict[str, tuple[dict[str, None], dict[str, None]]] = {}
    for table in language_rules():
        for topic, words in table.topics.items():
            regexes, substrings = keywords.setdefault(topic, ({}, {}))
            (regexes if table.match == "words" else substrings).update(dict.fromkeys(words))
    return {
        topic: (tuple(regexes), tuple(substrings))
        for topic, (regexes, substrings) in sorted(keywords.items())
    }


# A keyword that opens with a group of plain alternatives: "(?:security|data) breach".
_LEADING_ALTERNATIVES = re.compile(r"\(\?:([^\\\[\](){}?*+.^$]+)\)(?![?*{])")
# A keyword's start up to its first metacharacter.
_LITERAL_START = re.compile(r"[^\\\[\](){}?*+|.^$]*")


def literal_stems(keyword: str) -> tuple[str, ...]:
    """The literals one of which every match of ``keyword`` starts with: each alternative of
    a leading group ("security", "data"), else the keyword's literal start: "air" of
    ``air[- ]?drops?``, "CBDC" of ``CBDCs?``, "re-entrancy" and "reentrancy" of
    ``re-?entrancy`` (a short stem such as "re" starts at every few words of a text). ("",)
    for none, and for a keyword of several alternatives ("a|b")."""
    if has_top_level_alternatives(keyword):
        return ("",)
    group = _LEADING_ALTERNATIVES.match(keyword)
    if group:
        return tuple(group[1].split("|"))
    stem = _LITERAL_START.match(keyword)[0]  # up to the first metacharacter
    rest = keyword[len(stem) + 1 :]
    follows = keyword[len(stem) : len(stem) + 1]
    if follows == "?" and stem:  # the stems with the optional character and without it
        stems = {*literal_stems(stem + rest), *literal_stems(stem[:-1] + rest)}
        # Of two where one opens the other ("CBDCs", "CBDC"), the shorter finds both.
        return tuple(sorted(s for s in stems if not any(s != o and s.startswith(o) for o in stems)))
    return (stem[:-1],) if follows in ("*", "{") else (stem,)


def has_top_level_alternatives(keyword: str) -> bool:
    """Whether a "|" of ``keyword`` stands outside any group or class."""
    depth, escaped, in_class = 0, False, False
    for char in keyword:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char in "[()|":
            in_class = char == "["
            depth += {"(": 1, ")": -1}.get(char, 0)
            if char == "|" and depth == 0:
                return True
    return False


def _is_abbreviation(keyword: str) -> bool:
    """ETF, CBDCs?, MiCA, DeFi: a keyword with a capital after its first letter."""
    return any(char.isupper() for char in keyword[1:])


def find_topics(title: str | None, body: str | None) -> list[str]:
    """The sorted topics whose keywords appear in the title or the body.

    Every match of a topic's pattern starts with one of its literals, so one Aho-Corasick
    pass over the case-folded text finds where matches can start, and the pattern is only
    tried there (anchored), not searched through the whole text once per topic.
    """
    text = f"{title or ''}\n{body or ''}"
    folded = text.casefold()
    starts = _literal_starts(folded)
    # Casefolding never shortens a character: equal lengths mean equal offsets.
    aligned = len(folded) == len(text)
    return sorted(
        topic
        for topic, (pattern, stems) in _patterns().items()
        if _matches(pattern, stems, text, starts, aligned)
    )


def _matches(
    pattern: re.Pattern[str],
    stems: tuple[str, ...],
    text: str,
    starts: dict[str, list[int]],
    aligned: bool,
) -> bool:
    """Whether ``pattern`` matches ``text``, tried only where one of its literals starts."""
    if not stems:
        return pattern.search(text) is not None
    offsets = sorted({offset for stem in stems for offset in starts.get(stem, ())})
    if not offsets:
        return False
    if not aligned:  # offsets of the folded text are not those of the text
        return pattern.search(text) is not None
    return any(pattern.match(text, offset) for offset in offsets)


def _literal_starts(folded: str) -> dict[str, list[int]]:
    """Literal -> every offset where it starts in ``folded`` (overlapping ones too)."""
    starts: dict[str, list[int]] = defaultdict(list)
    for end, stem in _literals().iter(folded):
        starts[stem].append(end - len(stem) + 1)
    return starts


@cache
def _literals() -> ahocorasick.Automaton:
    """All topics' literals in one automaton."""
    automaton = ahocorasick.Automaton()
    for _, stems in _patterns().values():
        for stem in stems:
            automaton.add_word(stem, stem)
    automaton.make_automaton()
    return automaton
