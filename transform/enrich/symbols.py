"""Coins and trading pairs named in exchange announcement titles and bodies.

Announcements are full of uppercase words that are also tickers (ONE, ALL, GAS, UTC-dated
times), so a bare uppercase word is never a coin: only pairs (BTC/USDT, YZY_USDT in a trade
link, BSUUSDT), ``Name (TICKER)`` with ASCII or full-width brackets, cashtags and the ticker
list of a "Will List/Delist A, B and C" or "上线/下架 A、B 和 C" sentence count.
"""

from __future__ import annotations

import csv
import io
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files

from transform.limits import ENRICH_TEXT_CHARS

QUOTE_ASSETS = frozenset(
    {"USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USD1", "USDP", "DAI", "EURI", "AEUR", "USD"}
    | {"BTC", "ETH", "BNB", "TRX", "XRP", "DOGE"}
    | {"TRY", "EUR", "BRL", "JPY", "UAH", "ARS", "MXN", "PLN", "ZAR", "COP", "CZK", "IDR"}
    | {"NGN", "RUB", "GBP", "AUD"}
)
# No English word or token name ends in these, so "ALPACAUSDT" splits even though ALPACA is
# unknown; other quotes need a known base ("COUNTRY" is not COUN/TRY, "TEETH" not TE/ETH).
_OPEN_QUOTES = frozenset({"USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USD1", "BTC", "BNB"})
# A token ends in at most one quote of each length: try the lengths, longest first.
_QUOTE_LENGTHS = tuple(sorted({len(quote) for quote in QUOTE_ASSETS}, reverse=True))

# Abbreviations announcements use that are never the coin being talked about.
_NOT_COINS = frozenset(
    {"UTC", "GMT", "API", "KYC", "KYB", "AML", "FAQ", "VIP", "ETF", "ETP", "NFT", "APR", "APY"}
    | {"P2P", "OTC", "TVL", "DEX", "CEX", "AMA", "IEO", "ICO", "IDO", "UID", "URL", "CEO", "TBA"}
    | {"TBD", "RWA", "DEFI", "DAO", "EU", "EEA", "UK", "US", "USA", "UAE", "SEC", "MICA", "SAFU"}
    | {"APP"}
)
# Tickers that are also everyday words: trusted in "Name (TICKER)" or "$TICKER" only.
_COMMON_WORDS = frozenset(
    {"ONE", "ALL", "IT", "FOR", "GAS", "NOT", "ME", "AI", "A", "AN", "AND", "THE", "ON", "OR"}
    | {"TO", "IN", "OF", "AT", "BY", "UP", "GO", "NEW", "NOW", "HOT", "KEY", "FUN", "WIN"}
    | {"HIGH"}
)

# Possessive: a run of capitals and digits is one ticker or none, never re-split on failure
# (backtracking into it made "list AAAA…" quadratic in the run's length).
_TICKER = r"(?=[0-9]*+[A-Z])[A-Z0-9]++"


def by_first_character(pattern: str, firsts: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """``pattern`` once per character of ``firsts``, each opening with it where ``pattern``
    has "{first}": ``re`` finds a literal first by a fast search, several times faster than
    it tries a class at every position (:func:`finditer_each`)."""
    return tuple(
        (first, re.compile(pattern.replace("{first}", re.escape(first)))) for first in firsts
    )


def finditer_each(
    patterns: tuple[tuple[str, re.Pattern[str]], ...], text: str
) -> list[re.Match[str]]:
    """The matches of :func:`by_first_character`'s patterns whose character is in ``text``, by
    start: what the pattern with a class of those characters first finds, where no match
    holds another's first character."""
    return sorted(
        (match for first, pattern in patterns if first in text for match in pattern.finditer(text)),
        key=lambda match: match.start(),
    )


# A separated pair (QNT/BTC, YZY_USDT) is found from its separator and the quote after it,
# then the base before it: a base of 2 to 20 capitals and digits after no letter or digit.
# A pattern opening with the base was tried at every word of an upper-cased text.
_QUOTE_AFTER = by_first_character(r"{first}(?P<quote>[A-Z0-9]{2,10}+)(?![A-Za-z0-9])", "/_-")
_BASE_CHARS = 20
_BASE_BEFORE = re.compile(rf"(?<![A-Za-z0-9])[A-Z0-9]{{2,{_BASE_CHARS}}}\Z")
# A 4-30 character token that ends in a quote asset: the candidates for a split. The whole
# run is taken at once, then its end is checked against the quotes (one look-behind per
# quote length), rather than every shorter prefix tried against every quote. The pattern
# opens with a class, what stands before it checked after it: ``re`` finds the places to
# try by its fast scan for the class, where a look-behind first is tried everywhere.
_QUOTE_ENDS = "|".join(
    f"(?<={'|'.join(sorted(quote for quote in QUOTE_ASSETS if len(quote) == length))})"
    for length in _QUOTE_LENGTHS
)
_TOKEN = re.compile(rf"[A-Z0-9](?<![A-Za-z0-9].)[A-Z0-9]{{3,29}}+(?:{_QUOTE_ENDS})(?![A-Za-z0-9])")
# "Name (TICKER)": the bracketed ticker, then what ends the name before it, past any spaces
# (found from the bracket: a pattern starting at every space cost more).
_BRACKETED = by_first_character(r"{first}(?P<ticker>[A-Z0-9]{1,15})[)）]", "(（")
_NAME_END = re.compile(r"[A-Za-z0-9.\u4e00-\u9fff]")
# "$" first, then the look-behind: ``re`` finds a leading literal by a fast scan.
_CASHTAG = re.compile(r"\$(?<![A-Za-z0-9]\$)(?P<ticker>[A-Z0-9]{1,15})(?![A-Za-z0-9])")
_SEP = r"(?:\s*[,&]\s*(?:and\s+)?|\s+and\s+)"
# Tried where one of _LISTED_VERBS starts (:func:`_listed`), not searched for.
_LISTED = re.compile(
    r"\b(?i:(?:de)?list|add|support|launch|remove)(?i:s|es|ed|ing)?\s+"
    rf"(?P<tickers>{_TICKER}(?:{_SEP}{_TICKER})*)(?=[\s,.;:!?)]|$)"
)
# The Chinese form: "下架 CLV、STRAX 和 SNT", "上線 A 與 B" (verbs that take tickers only;
# 支持/新增 also take networks and features: "支持 TRON 网络升级").
_ZH_SEP = r"(?:\s*[、,，]\s*|\s*(?:以及|和|及|与|與)\s*)"
_ZH_LIST_VERBS = ("上线", "上線", "上架", "下架", "下线", "下線", "上新", "首发", "首發")
_ZH_LIST_VERB = re.compile("|".join(_ZH_LIST_VERBS))
# A text without these characters (most English ones) has no Chinese listing sentence.
_ZH_LIST_VERB_FIRSTS = "".join(sorted({verb[0] for verb in _ZH_LIST_VERBS}))
_LISTED_ZH = re.compile(
    rf"(?:{_ZH_LIST_VERB.pattern})\s*"
    rf"(?P<tickers>{_TICKER}(?:{_ZH_SEP}{_TICKER})*)(?![A-Za-z0-9/_-])"
)
# The other order, "关于 CTXC 下架的公告": the list that ends where a verb starts, looked for
# in a bounded stretch before each verb (a search from every ticker of a long list for a verb
# that never comes would be quadratic in the list's length).
_LISTED_BEFORE = re.compile(
    rf"(?<![A-Za-z0-9/_-])(?P<tickers>{_TICKER}(?:{_ZH_SEP}{_TICKER})*)\s*$"
)
_LISTED_BEFORE_REACH = 120
_LISTED_VERBS = ("delist", "list", "add", "support", "launch", "remove")
# Letters that match one of the verbs' letters regardless of case but lower-case to another
# letter ("ſ", "ı") or to two characters ("İ"): where they are, the lower-cased text does
# not show the verbs at their places.
_CASE_ODDITIES = "ſıİ"
_LISTED_TICKER = re.compile(rf"(?<![A-Za-z0-9]){_TICKER}(?![A-Za-z0-9])")

# What a pair is traded as, by the words after it in its clause ("BSUUSDT 永续合约",
# "ORDIUSDT、WIFUSDT 和 PEPEUSDT U 本位永续合约", "BTC-USDT-SWAP", "TREE/USDT ... isolated
# margin pairs"), else by the words just before it ("USDⓈ-M BSUUSDT", "Futures: ETHUSD");
# a pair whose clause names no kind is spot.
PAIR_KINDS = ("spot", "perpetual", "futures", "margin")
# The lookahead on the words' first characters ("ſ" is an "s" regardless of case) fails a
# position at once, where the case-insensitive alternatives were each tried there.
_KIND_WORDS = re.compile(
    r"(?=[永交杠槓现現pPsSſfFdDmM-])(?:"
    r"(?P<perpetual>永续|永續|(?i:perpetual|perp\b|-?swap\b))"
    r"|(?P<futures>交割|(?i:futures|delivery))"
    r"|(?P<margin>杠杆|槓桿|(?i:margin))"
    r"|(?P<spot>现货|現貨|(?i:spot))"
    r")"
)
# How far a clause is read for the kind: to its end, at most this many characters.
_KIND_REACH = 60
# One class first (``re`` finds it by its fast scan): "." and "," only before a space.
_CLAUSE_END = re.compile(r"[。；;!！?？，\n.,](?:(?<![.,])|(?=\s))")


@dataclass(frozen=True)
class Symbols:
    """Coins and ``BASE/QUOTE`` pairs, each deduplicated in order of first appearance."""

    coins: tuple[str, ...]
    pairs: tuple[str, ...]


def find_symbols(text: str) -> Symbols:
    """The coins and pairs ``text`` names, by the patterns Binance writes them in; of a text
    longer than ``ENRICH_TEXT_CHARS``, those of its first ``ENRICH_TEXT_CHARS`` characters
    (as mentions: a 16 MB page of tickers would cost seconds per megabyte)."""
    return field_symbols(text)


def field_symbols(*fields: str | None) -> Symbols:
    """The coins and pairs of an article's fields (its title, then its body or summary) in
    order, each field read on its own: the scans are then the ones the mentions of that
    field reuse (:func:`symbol_spans`), not a third scan of the fields joined."""
    coins: list[tuple[int, str]] = []
    pairs: list[tuple[int, str]] = []
    offset = 0  # the fields' hits are ordered as if the fields were one text
    for text in filter(None, fields):
        text = text[:ENRICH_TEXT_CHARS]
        found_pairs, found_coins = _scan(text)
        for start, _, base, quote in found_pairs:
            pairs.append((offset + start, f"{base}/{quote}"))
            coins += [(offset + start, base), (offset + start + len(base), quote)]
        coins += [(offset + start, ticker) for start, _, ticker in found_coins]
        offset += len(text) + 1
    return Symbols(coins=_in_order(coins), pairs=_in_order(pairs))


@lru_cache(maxsize=8)
def _scan(
    text: str,
) -> tuple[tuple[tuple[int, int, str, str], ...], tuple[tuple[int, int, str], ...]]:
    """The pair spans and coin spans of ``text``, kept for the few texts of the article at
    hand: its parser, its mentions and its coins read the same title and body."""
    return tuple(_pair_spans(text)), tuple(_coin_spans(text))


def find_pairs(text: str) -> tuple[str, ...]:
    """``find_symbols(text).pairs`` without the coins' patterns, for readers of pairs only."""
    return _in_order(
        [(start, f"{base}/{quote}") for start, base, quote in _pairs(text[:ENRICH_TEXT_CHARS])]
    )


# A Markdown link to an exchange's trading page: its last path segment is the pair
# ("/zh/trade/YZY_USDT", "/futures/USDT/HOLO_USDT", "/trade-spot/btc-usdt", "/spot/BTCUSDT").
# Quantifiers are bounded so that a run of unclosed links costs linear time.
_TRADE_LINK = re.compile(
    r"\]\((?P<url>https?://[^)\s]{1,200}?/(?i:[a-z-]{0,20}(?:trade|futures|spot|margin|swap)"
    r"[a-z-]{0,20})/(?:[^)\s?#]{1,100}/)?(?P<pair>[A-Za-z0-9]{2,30}(?:[_-][A-Za-z0-9]{2,10})?)"
    r"/?)(?:[?#][^)\s]{0,300})?\)"
)


def trade_link_symbols(markdown: str) -> Symbols:
    """The pairs of the trade links in a Markdown body, which its text shows only as the
    link's words ("[立即交易](https://www.gate.com/zh/trade/YZY_USDT)"), and their coins."""
    pairs: list[tuple[int, str]] = []
    coins: list[tuple[int, str]] = []
    for link in _TRADE_LINK.finditer(markdown[:ENRICH_TEXT_CHARS]):
        segment = link["pair"].upper()
        spans = _pair_spans(segment)
        if len(spans) == 1 and spans[0][:2] == (0, len(segment)):  # the whole segment
            _, _, base, quote = spans[0]
            pairs.append((link.start(), f"{base}/{quote}"))
            coins += [(link.start(), base), (link.start() + 1, quote)]
    return Symbols(coins=_in_order(coins), pairs=_in_order(pairs))


def symbol_spans(text: str) -> list[tuple[str, str, str, int, int]]:
    """``(kind, text, value, start, end)`` of every coin and pair hit, by start offset.

    The same patterns as ``find_symbols``, kept per occurrence with offsets so that
    mentions can point at the text; a pair's base and quote are not repeated as coins.
    """
    found_pairs, found_coins = _scan(text)
    spans = {(start, end, "pair", f"{base}/{quote}") for start, end, base, quote in found_pairs}
    spans |= {(start, end, "coin", ticker) for start, end, ticker in found_coins}
    return [(kind, text[start:end], value, start, end) for start, end, kind, value in sorted(spans)]


def _coin_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, ticker) of ``Name (TICKER)``, cashtags and "Will List A, B and C" tickers."""
    coins: list[tuple[int, int, str]] = []
    for match in _named(text):
        if _is_coin(match["ticker"]):
            coins.append((match.start("ticker"), match.end("ticker"), match["ticker"]))
    for match in _CASHTAG.finditer(text):
        ticker = match["ticker"]
        if _is_coin(ticker) and (ticker[0].isalpha() or ticker in _assets()):
            coins.append((match.start("ticker"), match.end("ticker"), ticker))
    lists = [*_listed(text)]
    if any(char in text for char in _ZH_LIST_VERB_FIRSTS):
        lists += [*_LISTED_ZH.finditer(text), *_lists_before(text)]
    for match in lists:
        offset = match.start("tickers")
        for ticker in _LISTED_TICKER.finditer(match["tickers"]):
            if _is_listed_ticker(ticker[0]):
                coins.append((offset + ticker.start(), offset + ticker.end(), ticker[0]))
    return coins


def _listed(text: str) -> Iterator[re.Match[str]]:
    """The "Will List A, B and C" sentences: the pattern is tried where ``str.find`` finds a
    verb in the lower-cased text (a scan of its own cost several times more)."""
    if any(char in text for char in _CASE_ODDITIES):
        return _LISTED.finditer(text)
    lowered = text.lower()
    starts = set()
    for verb in _LISTED_VERBS:
        start = lowered.find(verb)
        while start >= 0:
            starts.add(start)
            start = lowered.find(verb, start + 1)
    return matches_at(_LISTED, text, sorted(starts))


def matches_at(
    pattern: re.Pattern[str], text: str, starts: Iterable[int]
) -> Iterator[re.Match[str]]:
    """What ``pattern.finditer(text)`` finds, for a pattern that matches no empty text and
    can only start at ``starts`` (increasing): tried there only."""
    end = 0
    for start in starts:
        if start >= end:
            match = pattern.match(text, start)
            if match:
                end = match.end()
                yield match


def _named(text: str) -> Iterator[re.Match[str]]:
    """Bracketed tickers right after a name: a letter, digit, full stop or Han character,
    then spaces or none."""
    for match in finditer_each(_BRACKETED, text):
        start = match.start()
        while start and text[start - 1].isspace():
            start -= 1
        if start and _NAME_END.match(text, start - 1):
            yield match


def _lists_before(text: str) -> Iterator[re.Match[str]]:
    """Ticker lists written before a Chinese listing verb ("A、B 下架")."""
    for verb in _ZH_LIST_VERB.finditer(text):
        start = max(0, verb.start() - _LISTED_BEFORE_REACH)
        last = text[start : verb.start()].rstrip()[-1:]
        if last.isascii() and last.isalnum():
            found = _LISTED_BEFORE.search(text, start, verb.start())
            if found:
                yield found


def pair_kind(text: str, start: int, end: int) -> str:
    """spot, perpetual, futures or margin: the kind of the pair at ``text[start:end]``."""
    after = text[end : end + _KIND_REACH]
    clause_end = _CLAUSE_END.search(after)
    found = _KIND_WORDS.search(after, 0, clause_end.start() if clause_end else len(after))
    if found is None:
        before = text[max(0, start - _KIND_REACH // 2) : start]
        clause_start = max((m.end() for m in _CLAUSE_END.finditer(before)), default=0)
        nearest = list(_KIND_WORDS.finditer(before, clause_start))[-1:]
        found = nearest[0] if nearest else None
    return found.lastgroup if found and found.lastgroup else "spot"


@cache
def _assets() -> dict[str, str]:
    """Symbol -> kind (crypto, stablecoin, fiat) from the bundled list."""
    data = (files("transform.enrich") / "data" / "assets.csv").read_text(encoding="utf-8")
    return {row["symbol"]: row["kind"] for row in csv.DictReader(io.StringIO(data))}


def _pairs(text: str) -> list[tuple[int, str, str]]:
    """(offset, base, quote) of separated pairs (QNT/BTC) and concatenated ones (BTCUSDT)."""
    return [(start, base, quote) for start, _, base, quote in _pair_spans(text)]


def _pair_spans(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, base, quote) of every pair, in order of the text."""
    found: list[tuple[int, int, str, str]] = []
    for start, end, base, quote in _separated(text):
        if quote in QUOTE_ASSETS and base != quote and _is_base(base):
            found.append((start, end, base, quote))
    separated = [(start, end) for start, end, _, _ in found]  # in order, not overlapping
    for match in _TOKEN.finditer(text):
        before = bisect_right(separated, (match.start(), len(text)))
        claimed = before > 0 and match.start() < separated[before - 1][1]
        split = None if claimed else _split_concatenated(match[0])
        if split:
            found.append((match.start(), match.end(), *split))
    return sorted(found)


def _separated(text: str) -> Iterator[tuple[int, int, str, str]]:
    """(start, end, base, quote) of every ``BASE/QUOTE``, ``BASE_QUOTE`` or ``BASE-QUOTE``
    with no letter or digit around it, each starting after the one before ends (the quote of
    "A/B/C" is no base)."""
    end = 0
    for after in finditer_each(_QUOTE_AFTER, text):
        separator = after.start()
        base = _BASE_BEFORE.search(text, max(end, separator - _BASE_CHARS), separator)
        if base:
            end = after.end()
            yield base.start(), end, base[0], after["quote"]


def _split_concatenated(token: str) -> tuple[str, str] | None:
    """``1000PEPEUSDT`` -> (1000PEPE, USDT); a known asset such as WBETH stays whole.

    A split whose base is a known asset wins (XBTUSD is XBT/USD, not XB/TUSD); otherwise
    the longest quote does, for new coins quoted in an open quote (USDT, USDC, ...).
    """
    assets = _assets()
    if token in assets:
        return None
    splits = [
        (token[:-length], token[-length:])
        for length in _QUOTE_LENGTHS
        if token[-length:] in QUOTE_ASSETS and _is_base(token[:-length])
    ]
    known = [(base, quote) for base, quote in splits if base in assets]
    if known:
        return known[0]
    return next(((base, quote) for base, quote in splits if quote in _OPEN_QUOTES), None)


def _is_base(symbol: str) -> bool:
    """Dates (2026-10) and one-letter fragments are not pair bases; NFT/USDT (APENFT) is."""
    return len(symbol) >= 2 and any(c.isalpha() for c in symbol)


def _is_coin(ticker: str) -> bool:
    """Fiat counts only inside a pair; one-letter tickers only when known (Sonic's S)."""
    kind = _assets().get(ticker)
    return (
        any(c.isalpha() for c in ticker)
        and ticker not in _NOT_COINS
        and kind != "fiat"
        and (len(ticker) >= 2 or kind is not None)
    )


def _is_listed_ticker(ticker: str) -> bool:
    """A concatenated pair in the list (ALPACAUSDT) is a pair, already counted as such."""
    return (
        len(ticker) >= 2
        and _is_coin(ticker)
        and ticker not in _COMMON_WORDS
        and _split_concatenated(ticker) is None
    )


def _in_order(hits: list[tuple[int, str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for _, value in sorted(hits)))
