"""What an article's text names, each occurrence with its offsets: coins, pairs, money,
percentages, countries, places, organisations and dated event times.

Precision comes before recall, because a wrong mention is worse than a missing one for
someone counting "articles naming Cambodia" or "hacks over $10 million". The choices:

* Matching is case-sensitive with letter/digit boundaries, so "USDT" never gives US,
  "investigate" never gives Gate and "second" never gives the SEC.
* Mentions never overlap: the leftmost candidate wins, then the longest, so
  "U.S. Department of the Treasury" is one organisation (its "U.S." is no country) and
  "200 BTC" is money, not a coin. A few blockers ("Latin America", "Indian Ocean",
  "南美") only exist to swallow text that would otherwise give a wrong country.
* Countries are pycountry names plus common variants (U.S., USA, Burma, UK, Türkiye/Turkey,
  Chinese names) and a short list of demonyms that are not language names ("American",
  "Filipino", "Cambodian"; not "Chinese" or "French", which often mean the language).
  "US" counts unless its line is all capitals ("HELP US"). "Chad", "Georgia", "Jordan",
  "Jersey" and "Congo" are left out as too ambiguous. Value: ISO 3166 alpha-2.
* Hong Kong and Macau are places (value their name); Singapore is a country (SG), never
  also a place. Places and organisations come from ``data/places.csv`` and
  ``data/organisations.csv``; the value is the canonical name.
* Coins and pairs come from ``transform.enrich.symbols``; besides, the names of a few majors
  (Bitcoin, 以太坊) and their unambiguous bare tickers (BTC, ETH, USDT) are coins. A pair
  mention carries ``pair_kind``: spot, perpetual, futures or margin, by the words of its
  clause ("BSUUSDT 永续合约" is perpetual).
* Money: amounts with a currency sign, code or word, scaled ("$1.2B", "1.5 亿美元");
  value "<amount> <unit>". Ranges ("$10-20 million") are skipped rather than misread.
* Event times need a date and a time; a time without zone is UTC, as in
  ``transform.extract.dates``; a Chinese date without a year ("12月10日 16:00 (UTC+8)") takes the
  year of the article's time. Value: ISO 8601 in UTC.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import NamedTuple

import pycountry

from transform.enrich.symbols import (
    by_first_character,
    finditer_each,
    matches_at,
    pair_kind,
    symbol_spans,
)
from transform.extract.dates import parse_datetime
from transform.model import Mention

# Same start and length: the kind listed first wins (a blocker is dropped afterwards).
_PRIORITY = (
    "",
    "event_time",
    "money",
    "percent",
    "pair",
    "organisation",
    "country",
    "coin",
    "place",
)
_RANK = {kind: rank for rank, kind in enumerate(_PRIORITY)}


class _Hit(NamedTuple):
    """A candidate mention (a tuple: dozens are made per text, most dropped or kept as is)."""

    start: int
    end: int
    kind: str
    value: str
    amount: float | None = None
    unit: str | None = None
    pair_kind: str | None = None


def find_mentions(
    text: str, field: str = "body_text", reference: datetime | None = None
) -> list[Mention]:
    """Every mention in ``text``, by start offset; ``text[start:end]`` is the mention's text.

    ``reference`` (when the article was published or fetched) gives the year of dates
    written without one ("12月10日 16:00"); without it such dates are no event times.
    """
    if not text:
        return []
    hits = [
        *_symbol_hits(text),
        *_money_hits(text),
        *_percent_hits(text),
        *_time_hits(text, reference),
        *_gazetteer_hits(text),
    ]
    # Positional (kind, text, value, field, offsets, amount, unit, pair_kind): dozens a text,
    # and keywords cost twice as much.
    return [
        Mention(kind, text[start:end], value, field, start, end, amount, unit, trade)
        for start, end, kind, value, amount, unit, trade in _leftmost_longest(hits)
        if kind
    ]


def _leftmost_longest(hits: list[_Hit]) -> list[_Hit]:
    """Non-overlapping hits: earliest start first, then the longest, then by kind priority."""
    chosen: list[_Hit] = []
    end = 0
    for hit in sorted(hits, key=lambda h: (h.start, h.start - h.end, _RANK[h.kind])):
        if hit.start >= end:
            chosen.append(hit)
            end = hit.end
    return chosen


# --- coins and pairs -----------------------------------------------------------------------

# Tickers no English word or agency shares (not DOGE: the US "Department of Government
# Efficiency"; not LINK, DOT, APT, ETC): a bare occurrence is the coin.
_BARE_TICKERS = frozenset(
    {"BTC", "ETH", "USDT", "USDC", "FDUSD", "BNB", "XRP", "SOL", "TRX", "ADA", "AVAX", "SHIB"}
    | {"LTC", "BCH", "XMR", "WBTC", "PEPE", "XLM", "HBAR", "SUI", "TON"}
)
_COIN_NAMES = {
    "Bitcoin": "BTC",
    "Bitcoin Cash": "BCH",
    "Wrapped Bitcoin": "WBTC",
    "Ethereum": "ETH",
    "Ether": "ETH",
    "Ethereum Classic": "ETC",
    "Solana": "SOL",
    "Dogecoin": "DOGE",
    "Cardano": "ADA",
    "Litecoin": "LTC",
    "Monero": "XMR",
    "Toncoin": "TON",
    "Polkadot": "DOT",
    "Chainlink": "LINK",
    "Shiba Inu": "SHIB",
    "TRON": "TRX",
    "比特币": "BTC",
    "比特幣": "BTC",
    "比特币现金": "BCH",
    "以太坊": "ETH",
    "以太币": "ETH",
    "以太幣": "ETH",
    "狗狗币": "DOGE",
    "狗狗幣": "DOGE",
    "莱特币": "LTC",
    "萊特幣": "LTC",
    "门罗币": "XMR",
    "瑞波币": "XRP",
    "泰达币": "USDT",
    "泰達幣": "USDT",
    "波场": "TRX",
}


def _symbol_hits(text: str) -> Iterator[_Hit]:
    for kind, _, value, start, end in symbol_spans(text):
        trade = pair_kind(text, start, end) if kind == "pair" else None
        yield _Hit(start, end, kind, value, pair_kind=trade)


# --- money and percentages -----------------------------------------------------------------

# A number after its first digit (1,234.5 or 1234.5): the patterns open with that digit, so
# that ``re`` finds their starts by its fast scan for a character class.
_NUMBER_REST = r"(?:\d{0,2}(?:,\d{3})+(?:\.\d+)?|\d*(?:\.\d+)?)"
_NUMBER = rf"(?P<num>\d{_NUMBER_REST})"
_SCALE = (
    r"(?:\s*(?P<word>(?i:thousand|million|billion|trillion|mln|mn|bn|tn))(?![A-Za-z])"
    r"|(?P<letter>[kKmMbBT])(?![A-Za-z0-9])"
    r"|\s*(?P<zh>万亿|萬億|千万|千萬|百万|百萬|十万|十萬|万|萬|亿|億|千))?"
)
_SCALES = {
    "thousand": 10**3,
    "k": 10**3,
    "million": 10**6,
    "mln": 10**6,
    "mn": 10**6,
    "m": 10**6,
    "billion": 10**9,
    "bn": 10**9,
    "b": 10**9,
    "trillion": 10**12,
    "tn": 10**12,
    "t": 10**12,
    "千": 10**3,
    "万": 10**4,
    "萬": 10**4,
    "十万": 10**5,
    "十萬": 10**5,
    "百万": 10**6,
    "百萬": 10**6,
    "千万": 10**7,
    "千萬": 10**7,
    "亿": 10**8,
    "億": 10**8,
    "万亿": 10**12,
    "萬億": 10**12,
}
_SIGNS = {
    "US$": "USD",
    "HK$": "HKD",
    "NT$": "TWD",
    "NZ$": "NZD",
    "MX$": "MXN",
    "S$": "SGD",
    "A$": "AUD",
    "C$": "CAD",
    "R$": "BRL",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "₩": "KRW",
    "₹": "INR",
    "¥": "¥",
    "￥": "¥",
}
_UNIT_WORDS = {
    "US dollars": "USD",
    "U.S. dollars": "USD",
    "dollars": "USD",
    "euros": "EUR",
    "yuan": "CNY",
    "yen": "JPY",
    "rupees": "INR",
    "美元": "USD",
    "美金": "USD",
    "元人民币": "CNY",
    "元人民幣": "CNY",
    "人民币": "CNY",
    "人民幣": "CNY",
    "元": "CNY",
    "欧元": "EUR",
    "歐元": "EUR",
    "港元": "HKD",
    "港币": "HKD",
    "港幣": "HKD",
    "日元": "JPY",
    "日圓": "JPY",
    "英镑": "GBP",
    "英鎊": "GBP",
    "韩元": "KRW",
    "韓元": "KRW",
    "新台币": "TWD",
    "新台幣": "TWD",
}
_PREFIX_CODES = ("USD", "EUR", "GBP", "JPY", "CNY", "RMB", "HKD", "SGD", "AUD", "CAD", "CHF")
# Tickers that are also words, never read as a unit after a number ("2 ID cards").
_WORDLIKE_TICKERS = frozenset(
    {"ONE", "ALL", "FOR", "GAS", "NOT", "THE", "NEW", "NOW", "HOT", "KEY", "FUN", "WIN"}
    | {"HIGH", "DATA", "MOVE", "CITY", "BAR", "RED", "ACT", "HOOK", "PEOPLE", "MAGIC"}
    | {"ALPHA", "ANIME", "VIRTUAL", "USUAL", "BIO", "EDU", "SUN", "LAYER", "NIL", "MEME"}
)
_YEAR_AFTER = re.compile(r"(?i:in|since|of|by|from|until|to|during|before|after)\s+$")
# How far before a number _YEAR_AFTER looks: its longest word and a few spaces, so that each
# number costs a few steps, not a scan of all the text before it.
_YEAR_AFTER_REACH = 16
# Longer numbers (a run of digits, not an amount) are no money and no percentage.
_MAX_NUMBER_CHARS = 40
# The characters signs end in ("$" of "US$"), and how far before it a sign starts.
_SIGN_ENDS = by_first_character("{first}", "".join(sorted({sign[-1] for sign in _SIGNS})))
_SIGN_REACH = max(len(sign) for sign in _SIGNS) - 1
_RANGE_AFTER = re.compile(r"\s*(?:-|–|—|to|~|至|到)\s*[$€£¥]?\d")
_PERCENT = re.compile(
    r"(?=[+\-−\d百])(?<![A-Za-z0-9.,])(?P<sign>[+\-−](?=\d))?"
    + _NUMBER
    + r"\s?(?:%|％|(?i:percent|per\s+cent|pct)(?![A-Za-z]))"
    r"|百分之(?P<zh>[零〇一二两三四五六七八九十百点點.\d]+)"
)
# Where a percentage can start: a sign or digit after no letter, digit, "." or ",", with
# digits and a sign of percent ("%", "p" of "percent") after it, or 百 of 百分之; found by
# ``re``'s fast scan for a character class, its look-behind after it.
_PERCENT_STARTS = re.compile(
    r"[+\-−\d百](?<![A-Za-z0-9.,][+\-−\d])(?:(?=[\d,.]*\s?[%％pP])|(?<=百)(?=分之))"
)
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_ZH_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}


@cache
def _asset_kinds() -> dict[str, str]:
    """Symbol -> kind of the bundled asset list (the one ``transform.enrich.symbols`` reads)."""
    data = (files("transform.enrich") / "data" / "assets.csv").read_text(encoding="utf-8")
    return {row["symbol"]: row["kind"] for row in csv.DictReader(io.StringIO(data))}


@cache
def _money_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """Sign first ("$10 billion"), code first ("USD 3 million"), number first ("50,000 USDT")."""
    signs = "|".join(
        (r"(?<![A-Za-z0-9])" if sign[0].isalpha() else "") + re.escape(sign)
        for sign in sorted(_SIGNS, key=lambda sign: (-len(sign), sign))
    )
    # Tried only where a sign ends (:func:`_sign_starts`), not searched for.
    sign_first = re.compile(rf"(?P<sign>{signs})\s?{_NUMBER}{_SCALE}")
    # The codes' look-behind after the code (all three letters long): a pattern opening
    # with plain alternatives is found by ``re``'s fast scan for their first characters.
    code_first = re.compile(
        rf"(?P<code>{'|'.join(_PREFIX_CODES)})(?<![A-Za-z0-9]...)\s+{_NUMBER}{_SCALE}"
    )
    codes = {
        symbol
        for symbol, kind in _asset_kinds().items()
        if kind == "fiat" or (len(symbol) >= 3 and symbol not in _WORDLIKE_TICKERS)
    } | {"RMB"}
    # A trie, not a list of ~400 alternatives tried one by one after every number.
    units = _trie_pattern(
        _trie(
            [r"\s+" if char == " " else re.escape(char) for char in unit]
            for unit in [*codes, *_UNIT_WORDS]
        )
    )
    # The units' first characters, checked at once before the trie's branches one by one.
    unit_firsts = re.escape("".join(sorted({unit[0] for unit in [*codes, *_UNIT_WORDS]})))
    number_first = re.compile(
        rf"(?P<num>\d(?<![A-Za-z0-9.,$€£¥]\d){_NUMBER_REST}){_SCALE}\s*"
        rf"(?=[{unit_firsts}])(?P<unit>{units})(?![A-Za-z0-9]|宇宙)"
    )
    return sign_first, code_first, number_first


def _money_hits(text: str) -> Iterator[_Hit]:
    sign_first, code_first, number_first = _money_patterns()
    yen: str | None = None  # what ¥ means in this text, decided once, when first needed
    found = (
        matches_at(sign_first, text, _sign_starts(text)),
        code_first.finditer(text),
        number_first.finditer(text),
    )
    for matches in found:
        for match in matches:
            if len(match["num"]) > _MAX_NUMBER_CHARS or _RANGE_AFTER.match(text, match.end()):
                continue
            unit = _money_unit(match, text)
            if unit == "¥":
                unit = yen = yen or _yen(text)
            if unit is None:
                continue
            amount = _scaled(match)
            yield _Hit(
                match.start(),
                match.end(),
                "money",
                f"{_plain(amount)} {unit}",
                float(amount),
                unit,
            )


def _sign_starts(text: str) -> list[int]:
    """Where a sign-first amount can start: at a sign's last character ("$", "€") or the
    one or two before it ("S$", "US$"); a few places instead of every capital letter."""
    return sorted(
        {
            start
            for end in finditer_each(_SIGN_ENDS, text)
            for start in range(max(0, end.start() - _SIGN_REACH), end.start() + 1)
        }
    )


def _money_unit(match: re.Match[str], text: str) -> str | None:
    """The currency or asset code ("¥" for the caller to decide); None for a year before a
    ticker ("in 2024 BTC ...")."""
    groups = match.groupdict()
    if groups.get("sign"):
        return _SIGNS[groups["sign"]]
    if groups.get("code"):
        return "CNY" if groups["code"] == "RMB" else groups["code"]
    unit = " ".join(groups["unit"].split())  # one space between words ("US  dollars")
    unit = _UNIT_WORDS.get(unit, unit)
    number = groups["num"]
    plain_year = number.isdigit() and 1900 <= int(number) <= 2099 and not _scale_of(match)
    before = max(0, match.start() - _YEAR_AFTER_REACH)
    if plain_year and _YEAR_AFTER.search(text, before, match.start()):
        return None
    return "CNY" if unit == "RMB" else unit


def _yen(text: str) -> str:
    """¥ is the yuan in Chinese text and the yen otherwise (kana or none)."""
    has_han = re.search(r"[\u4e00-\u9fff]", text) is not None
    has_kana = re.search(r"[\u3040-\u30ff]", text) is not None
    return "CNY" if has_han and not has_kana else "JPY"


def _scale_of(match: re.Match[str]) -> str | None:
    scale = match["word"] or match["letter"] or match["zh"]
    return scale.lower() if scale else None


def _scaled(match: re.Match[str]) -> Decimal:
    amount = Decimal(match["num"].replace(",", ""))
    scale = _scale_of(match)
    return amount * _SCALES[scale] if scale else amount


def _plain(amount: Decimal) -> str:
    """10000000000, 0.5: no exponent, no trailing zeros."""
    if amount == amount.to_integral_value():
        return str(int(amount))
    return format(amount.normalize(), "f")


def _percent_hits(text: str) -> Iterator[_Hit]:
    starts = (candidate.start() for candidate in _PERCENT_STARTS.finditer(text))
    for match in matches_at(_PERCENT, text, starts):
        if len(match["num"] or match["zh"]) > _MAX_NUMBER_CHARS:
            continue
        if match["zh"]:
            amount = _chinese_number(match["zh"])
            if amount is None:
                continue
        else:
            amount = Decimal(match["num"].replace(",", ""))
            if match["sign"] and match["sign"] != "+":
                amount = -amount
        yield _Hit(match.start(), match.end(), "percent", f"{_plain(amount)}%", float(amount), "%")


def _chinese_number(digits: str) -> Decimal | None:
    """百分之 numbers: 十 = 10, 六十六 = 66, 三点五 = 3.5, 一百 = 100, or plain digits."""
    whole, _, fraction = digits.replace("點", "点").replace(".", "点").partition("点")
    if whole.isdigit() and (not fraction or fraction.isdigit()):
        return Decimal(f"{whole}.{fraction or 0}")
    total, current = 0, 0
    for char in whole:
        if char in _ZH_DIGITS:
            current = _ZH_DIGITS[char]
        elif char in "十百":
            total += (current or 1) * (10 if char == "十" else 100)
            current = 0
        else:
            return None
    value = Decimal(total + current)
    if fraction:
        if any(char not in _ZH_DIGITS for char in fraction):
            return None
        value += Decimal("0." + "".join(str(_ZH_DIGITS[char]) for char in fraction))
    return value


# --- event times ---------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<mon>(?i:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r"))\.?"
_TIME = (
    r"(?P<hour>\d{1,2})(?:(?::|[时時点點])(?P<minute>\d{2})(?::(?P<second>\d{2}))?分?"
    r"|[时時点點](?!\d)|(?=\s?(?i:[ap])\.?(?i:m)\.?(?![A-Za-z])))"  # 8AM: a bare hour
    r"(?:\s*(?P<ampm>(?i:[ap])\.?(?i:m)\.?)(?![A-Za-z]))?"
)
_NAMED_ZONES = {
    "JST": 9,
    "KST": 9,
    "HKT": 8,
    "SGT": 8,
    "CET": 1,
    "CEST": 2,
    "BST": 1,
    "EST": -5,
    "EDT": -4,
    "PST": -8,
    "PDT": -7,
    "北京时间": 8,
    "北京時間": 8,
    "香港时间": 8,
    "新加坡时间": 8,
    "东八区时间": 8,
    "東八區時間": 8,
    "东八区": 8,
}
_ZONE = (
    r"(?:\s*(?P<open>[(（])?\s*(?:(?P<utc>UTC|GMT)\s*(?P<offset>[+\-−]\s*\d{1,2}(?::?\d{2})?)?"
    r"|(?P<named>" + "|".join(_NAMED_ZONES) + r")(?![A-Za-z]))(?(open)\s*[)）])"
    r"|(?P<iso>Z|[+-]\d{2}:?\d{2})(?![\dA-Za-z]))?"
)
_CN_PREFIX = r"(?:(?P<prefix>北京时间|北京時間|香港时间|新加坡时间)\s*)?"
_CN_HALF = r"(?:(?P<half>上午|下午|晚上|凌晨|中午)\s*)?"
_TIME_PATTERNS = (
    re.compile(
        r"(?<![\d.])(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})"
        rf"(?:T|\s*,?\s*(?:(?:at|from)\s+)?){_TIME}{_ZONE}"
    ),
    re.compile(
        rf"(?<![A-Za-z]){_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})"
        rf",?\s*(?:[-–]\s*)?(?:at\s+)?{_TIME}{_ZONE}"
    ),
    # "8:00 am UTC on December 1, 2026", "10:00 on December 4, 2026 (UTC)"
    re.compile(
        rf"(?<![\d:]){_TIME}(?:\s*\(?(?:UTC|GMT)\)?)?\s+on\s+{_MONTH}\s+(?P<day>\d{{1,2}})"
        rf"(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}}){_ZONE}"
    ),
    re.compile(
        rf"(?<!\d)(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(?P<year>\d{{4}})"
        rf",?\s*(?:at\s+)?{_TIME}{_ZONE}"
    ),
    re.compile(
        rf"{_CN_PREFIX}(?<!\d)(?P<year>\d{{4}})\s*年\s*(?P<month>\d{{1,2}})\s*月\s*"
        rf"(?P<day>\d{{1,2}})\s*[日号號]\s*(?:[（(]?周.[)）]?\s*)?{_CN_HALF}{_TIME}{_ZONE}"
    ),
    # "12月10日 16:00 (UTC+8)": the year is the one the article was published in (see
    # _year); not inside a dated form ("2026 年 12 月 10 日"), which the pattern above reads.
    re.compile(
        rf"{_CN_PREFIX}(?<![\d年])(?<!年\s)(?P<month>\d{{1,2}})\s*月\s*"
        rf"(?P<day>\d{{1,2}})\s*[日号號]\s*(?:[（(]?周.[)）]?\s*)?{_CN_HALF}{_TIME}{_ZONE}"
    ),
)
# A date written without its year is taken to be at most this many days before the
# article's time (a notice of 28 December about "1月5日" means the coming January).
_PAST_DAYS_WITHOUT_YEAR = 183


# The other end of a range that shares the matched time's date and zone:
# "... 02:00 (UTC) to 04:00 (UTC)" after a match, "from 01:00 to 03:00 on ..." before one.
_CLOCK = r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?:\s*(?P<ampm>[ap])\.?m\.?(?![A-Za-z]))?"
_CLOCK_RANGE_AFTER = re.compile(
    rf"\s*(?:to|until|till|-|–|~|至|到)\s*{_CLOCK}"
    r"(?:\s*[(（]?\s*(?:UTC|GMT)\s*(?P<offset>[+\-]\d{1,2})?\s*[)）]?)?",
    re.IGNORECASE,
)
_CLOCK_RANGE_BEFORE = re.compile(
    rf"(?<![\d:]){_CLOCK}(?:\s*\(?(?:UTC|GMT)\)?)?\s*(?:to|and|-|–|~|至|到)\s*$", re.IGNORECASE
)


def _minutes(match: re.Match[str]) -> int | None:
    """Minutes after midnight of a clock match, None when it is no clock time."""
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["ampm"][0] in "pP" else 0)
    return hour * 60 + minute if hour < 24 and minute < 60 else None


# Every event time has a clock ("10:00", "16点", "8AM"): the date patterns only run in the
# stretches around one, so a long text with few times is scanned once, not once per pattern.
_CLOCK_HINT = re.compile(r"\d(?::\d\d|[时時点點]|\s?(?i:[ap])\.?(?i:m)(?![A-Za-z]))")
# How far a date and zone reach around their clock: "北京时间 2026 年 12 月 1 日（周一）下午"
# before it, "am UTC on December 12, 2026 (UTC+8)" after it, with room to spare.
_DATE_BEFORE_CLOCK = 80
_DATE_AFTER_CLOCK = 80


def _clock_stretches(text: str) -> list[tuple[int, int]]:
    """The merged ``[start, end)`` stretches of ``text`` around its clock times."""
    stretches: list[tuple[int, int]] = []
    for clock in _CLOCK_HINT.finditer(text):
        start = max(0, clock.start() - _DATE_BEFORE_CLOCK)
        end = min(len(text), clock.end() + _DATE_AFTER_CLOCK)
        if stretches and start <= stretches[-1][1]:
            stretches[-1] = (stretches[-1][0], end)
        else:
            stretches.append((start, end))
    return stretches


def _time_hits(text: str, reference: datetime | None) -> Iterator[_Hit]:
    stretches = _clock_stretches(text)
    for pattern in _TIME_PATTERNS:
        for match in (m for start, end in stretches for m in pattern.finditer(text, start, end)):
            moment = _exchange_stamp(match) or _moment(match, reference)
            if moment is None:
                continue
            moment = _zone_from_range(text, match, moment)
            yield _Hit(match.start(), match.end(), "event_time", moment.isoformat())
            yield from _range_ends(text, match, moment)


def _zone_from_range(text: str, match: re.Match[str], moment: datetime) -> datetime:
    """ "14:00 至 16:00 (UTC+8)": a zone written once, after the range, holds for both ends."""
    after = _CLOCK_RANGE_AFTER.match(text, match.end())
    zoned = any(match.groupdict().get(key) for key in ("utc", "named", "iso", "prefix"))
    if after is None or not after["offset"] or zoned:
        return moment
    zone = timezone(timedelta(hours=int(after["offset"])))
    return moment.replace(tzinfo=zone).astimezone(UTC)


def _range_ends(text: str, match: re.Match[str], moment: datetime) -> Iterator[_Hit]:
    """The range's other end: same date and zone, its own clock time."""
    anchor = _minutes(match)
    if anchor is None:
        return
    after = _CLOCK_RANGE_AFTER.match(text, match.end())
    before = _CLOCK_RANGE_BEFORE.search(text[max(0, match.start() - 40) : match.start()])
    ends = []
    if after:
        ends.append((after.start("hour"), after.end(), after, 1))
    if before:
        offset = max(0, match.start() - 40)
        ends.append((offset + before.start(), offset + before.end("minute"), before, -1))
    for start, end, clock, direction in ends:
        minutes = _minutes(clock)
        if minutes is None:
            continue
        shift = minutes - anchor
        if direction * shift < 0:  # a range across midnight
            shift += direction * 24 * 60
        other = moment + timedelta(minutes=shift)
        yield _Hit(start, end, "event_time", other.isoformat())


def _exchange_stamp(match: re.Match[str]) -> datetime | None:
    """``transform.extract.dates`` reads the ISO-like stamps ("2026-09-07 08:00 (UTC+8)") itself."""
    groups = match.groupdict()
    stamp = (
        groups.get("sep") == "-"
        and not groups["ampm"]
        and not groups["named"]
        and groups["open"] in (None, "(")
        and ":" in match[0]
    )
    if not stamp:
        return None
    return parse_datetime(match[0])  # None for "2026-13-40 08:00"


def _moment(match: re.Match[str], reference: datetime | None) -> datetime | None:
    """The UTC datetime a date-and-time match names; None when it names none (or names no
    year and there is no ``reference`` to take one from)."""
    groups = match.groupdict()
    year = int(groups["year"]) if groups.get("year") else _year(groups, reference)
    if year is None:
        return None
    month = _MONTHS[groups["mon"].lower()] if groups.get("mon") else int(groups["month"])
    hour = int(groups["hour"])
    if groups["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if groups["ampm"][0] in "pP" else 0)
    if groups.get("half") in ("下午", "晚上") and hour < 12:
        hour += 12
    zone = _zone(groups)
    try:
        local = datetime(
            year,
            month,
            int(groups["day"]),
            hour,
            int(groups["minute"] or 0),
            int(groups["second"] or 0),
            tzinfo=zone,
        )
    except ValueError:
        return None
    return local.astimezone(UTC)


def _year(groups: dict[str, str | None], reference: datetime | None) -> int | None:
    """The year of a month and day written without one: the reference's, or the next when
    that puts the date more than half a year before the reference."""
    if reference is None:
        return None
    try:
        dated = datetime(reference.year, int(groups["month"] or 0), int(groups["day"] or 0))
    except ValueError:
        return None
    days_before = (reference.replace(tzinfo=None) - dated).days
    return reference.year + 1 if days_before > _PAST_DAYS_WITHOUT_YEAR else reference.year


def _zone(groups: dict[str, str | None]) -> timezone:
    """UTC+8, GMT-05:00, +0800, Z, JST, 北京时间; UTC when the text names none."""
    offset = groups.get("offset") or groups.get("iso")
    if offset and offset != "Z":
        found = re.fullmatch(r"([+\-−])\s*(\d{1,2}):?(\d{2})?", offset)
        if found:
            sign = 1 if found[1] == "+" else -1
            minutes = int(found[2]) * 60 + int(found[3] or 0)
            return timezone(timedelta(minutes=sign * minutes))
    named = groups.get("named") or groups.get("prefix")
    if named:
        return timezone(timedelta(hours=_NAMED_ZONES[named]))
    return UTC


# --- countries, places, organisations (the gazetteer) --------------------------------------

_AMBIGUOUS_COUNTRY_NAMES = frozenset({"Chad", "Georgia", "Jordan", "Jersey", "Congo"})
_PLACE_NOT_COUNTRY = frozenset({"HK", "MO"})
_COUNTRY_ALIASES = {
    "US": "US",
    "U.S.": "US",
    "USA": "US",
    "U.S.A.": "US",
    "America": "US",
    "UK": "GB",
    "U.K.": "GB",
    "Britain": "GB",
    "Great Britain": "GB",
    "England": "GB",
    "Scotland": "GB",
    "Wales": "GB",
    "Northern Ireland": "GB",
    "Burma": "MM",
    "Russia": "RU",
    "Turkey": "TR",
    "Turkiye": "TR",
    "Korea": "KR",
    "Republic of Korea": "KR",
    "DPRK": "KP",
    "Czech Republic": "CZ",
    "UAE": "AE",
    "U.A.E.": "AE",
    "Ivory Coast": "CI",
    "Cape Verde": "CV",
    "East Timor": "TL",
    "Swaziland": "SZ",
    "Macedonia": "MK",
    "Holland": "NL",
    "Brunei": "BN",
    "Micronesia": "FM",
    "Vatican": "VA",
    "Vatican City": "VA",
    "Palestine": "PS",
    "Mainland China": "CN",
    "PRC": "CN",
    "DRC": "CD",
    "DR Congo": "CD",
    "Democratic Republic of the Congo": "CD",
    "Republic of the Congo": "CG",
}
_DEMONYMS: dict[str, tuple[str, ...]] = {
    "US": ("American", "Americans"),
    "PH": ("Filipino", "Filipinos", "Philippine"),
    "KH": ("Cambodian", "Cambodians"),
    "IN": ("Indian", "Indians"),
    "GB": ("British",),
    "CA": ("Canadian", "Canadians"),
    "AU": ("Australian", "Australians"),
    "NG": ("Nigerian", "Nigerians"),
    "BR": ("Brazilian", "Brazilians"),
    "AR": ("Argentine", "Argentines", "Argentinian", "Argentinians"),
    "MX": ("Mexican", "Mexicans"),
    "VE": ("Venezuelan", "Venezuelans"),
    "SV": ("Salvadoran", "Salvadorans", "Salvadorian"),
    "SG": ("Singaporean", "Singaporeans"),
    "MY": ("Malaysian", "Malaysians"),
    "AE": ("Emirati", "Emiratis"),
    "SA": ("Saudi", "Saudis"),
    "IL": ("Israeli", "Israelis"),
    "IR": ("Iranian", "Iranians"),
    "UA": ("Ukrainian", "Ukrainians"),
    "PK": ("Pakistani", "Pakistanis"),
    "TW": ("Taiwanese",),
    "KR": ("South Korean", "South Koreans"),
    "KP": ("North Korean", "North Koreans"),
    "CH": ("Swiss",),
}
_CHINESE_COUNTRIES = {
    "US": "美国 美國",
    "CN": "中国 中國 中国大陆 中國大陸",
    "MM": "缅甸 緬甸",
    "KH": "柬埔寨",
    "PH": "菲律宾 菲律賓",
    "IN": "印度",
    "ID": "印度尼西亚 印度尼西亞 印尼",
    "JP": "日本",
    "KR": "韩国 韓國 南韩 南韓",
    "KP": "朝鲜 朝鮮 北韩 北韓",
    "SG": "新加坡",
    "TH": "泰国 泰國",
    "VN": "越南",
    "LA": "老挝 老撾 寮國",
    "MY": "马来西亚 馬來西亞",
    "BN": "文莱 汶萊",
    "TW": "台湾 台灣 臺灣",
    "GB": "英国 英國",
    "FR": "法国 法國",
    "DE": "德国 德國",
    "IT": "意大利 義大利",
    "ES": "西班牙",
    "PT": "葡萄牙",
    "NL": "荷兰 荷蘭",
    "BE": "比利时 比利時",
    "CH": "瑞士",
    "SE": "瑞典",
    "NO": "挪威",
    "DK": "丹麦 丹麥",
    "FI": "芬兰 芬蘭",
    "IE": "爱尔兰 愛爾蘭",
    "AT": "奥地利 奧地利",
    "PL": "波兰 波蘭",
    "CZ": "捷克",
    "GR": "希腊 希臘",
    "RO": "罗马尼亚 羅馬尼亞",
    "HU": "匈牙利",
    "BG": "保加利亚 保加利亞",
    "RS": "塞尔维亚 塞爾維亞",
    "HR": "克罗地亚 克羅地亞",
    "IS": "冰岛 冰島",
    "LU": "卢森堡 盧森堡",
    "MT": "马耳他 馬爾他",
    "LI": "列支敦士登",
    "GI": "直布罗陀",
    "EE": "爱沙尼亚 愛沙尼亞",
    "LT": "立陶宛",
    "LV": "拉脱维亚 拉脫維亞",
    "UA": "乌克兰 烏克蘭",
    "RU": "俄罗斯 俄羅斯",
    "BY": "白俄罗斯 白俄羅斯",
    "GE": "格鲁吉亚 格魯吉亞",
    "TR": "土耳其",
    "IL": "以色列",
    "PS": "巴勒斯坦",
    "LB": "黎巴嫩",
    "SY": "叙利亚 敘利亞",
    "JO": "约旦 約旦",
    "IR": "伊朗",
    "IQ": "伊拉克",
    "AF": "阿富汗",
    "SA": "沙特阿拉伯 沙特 沙烏地阿拉伯",
    "AE": "阿联酋 阿聯酋 阿拉伯联合酋长国",
    "QA": "卡塔尔 卡達",
    "BH": "巴林",
    "KW": "科威特",
    "EG": "埃及",
    "MA": "摩洛哥",
    "DZ": "阿尔及利亚",
    "TN": "突尼斯",
    "LY": "利比亚",
    "NG": "尼日利亚 奈及利亞",
    "KE": "肯尼亚 肯亞",
    "ET": "埃塞俄比亚",
    "ZA": "南非",
    "CA": "加拿大",
    "MX": "墨西哥",
    "CU": "古巴",
    "JM": "牙买加",
    "BS": "巴哈马 巴哈馬",
    "PA": "巴拿马 巴拿馬",
    "SV": "萨尔瓦多 薩爾瓦多",
    "BR": "巴西",
    "AR": "阿根廷",
    "CL": "智利",
    "CO": "哥伦比亚 哥倫比亞",
    "PE": "秘鲁 秘魯",
    "VE": "委内瑞拉 委內瑞拉",
    "AU": "澳大利亚 澳大利亞 澳洲",
    "NZ": "新西兰 新西蘭 紐西蘭",
    "PK": "巴基斯坦",
    "BD": "孟加拉国 孟加拉",
    "LK": "斯里兰卡 斯里蘭卡",
    "NP": "尼泊尔 尼泊爾",
    "KZ": "哈萨克斯坦 哈薩克",
    "UZ": "乌兹别克斯坦",
    "MN": "蒙古",
    "KY": "开曼群岛 開曼群島",
    "VG": "英属维尔京群岛 英屬維京群島",
    "BM": "百慕大",
    "SC": "塞舌尔 塞席爾",
}
# Text that contains a name but names no country (or another thing): matched, then dropped.
_BLOCKERS = (
    "Latin America",
    "Latin American",
    "Latin Americans",
    "South America",
    "South American",
    "South Americans",
    "North America",
    "North American",
    "North Americans",
    "Central America",
    "Central American",
    "Americas",
    "Pan-American",
    "American Express",
    "American Indian",
    "Captain America",
    "Indian Ocean",
    "West Indies",
    "West Indian",
    "East Indies",
    "New England",
    "Golden Gate",
    "Heaven's Gate",
    "南美",
    "北美",
    "拉美",
    "中美洲",
    "印度洋",
    "哥伦比亚大学",
    "金边债",
)
# Abbreviations that are also words in capitals ("JOIN US", French "UN", "A TON OF").
_SHOUTED = frozenset({"US", "UN", "TON"})
_FUNCTION_WORDS = frozenset({"of", "the", "and", "for", "on", "de", "des", "in"})
_SMALL_LETTER = re.compile(r"[a-z]")
_SIX_CAPITALS = re.compile(r"(?:[^A-Z]*[A-Z]){6}")
_LATIN = "A-Za-z0-9À-ÖØ-öø-ɏ"


def _gazetteer_hits(text: str) -> Iterator[_Hit]:
    entries = _gazetteer()[0]
    line_end, shouting = -1, False  # the line of the last "US"; each line is read once
    for match in _name_matches(text):
        found, start = match[0], match.start()
        # Most names are found as spelled in the list: a key is its own spelling.
        kind, value = entries.get(found) or entries[_key(found)]
        if found in _SHOUTED:
            if start > line_end:
                line_start = text.rfind("\n", 0, start) + 1
                line_end = text.find("\n", start)
                line_end = len(text) if line_end < 0 else line_end
                shouting = _shouting(text[line_start:line_end])
            if shouting:
                continue
        yield _Hit(start, start + len(found), kind, value)


def _name_matches(text: str) -> Iterator[re.Match[str]]:
    """The longest name at every place one starts, by start: the names' pattern searched
    through the text (each match resumes the search at its end), and tried at the places
    inside each match too ("Kong" of "Hong Kong" is no name, but a name inside another may
    be the one kept when a mention of another kind overlaps the outer one)."""
    _, starts, names = _gazetteer()
    for match in names.finditer(text):
        yield match
        if match[0].isascii() and match[0].isalnum():  # one word: no name starts inside
            continue
        for candidate in starts.finditer(text, match.start() + 1, match.end()):
            inner = names.match(text, candidate.start())
            if inner:
                yield inner


def _shouting(line: str) -> bool:
    """The line is written in capitals (six or more, no small letter): "US" is a pronoun."""
    return _SMALL_LETTER.search(line) is None and _SIX_CAPITALS.match(line) is not None


def _key(name: str) -> str:
    """One spelling per name: single spaces, ', 'and' for '&', lower-case function words."""
    words = name.replace("’", "'").replace("&", "and").split()
    return " ".join(word.lower() if word.lower() in _FUNCTION_WORDS else word for word in words)


@cache
def _gazetteer() -> tuple[dict[str, tuple[str, str]], re.Pattern[str], re.Pattern[str]]:
    """Name -> (kind, value), the positions where a name may start, and one pattern that
    matches the longest name at such a position.

    The names' pattern opens with a lookahead on the names' first characters, which ``re``
    checks before trying the names at a position: trying all names at every position of a
    long text cost more than everything else mentions do. Latin names (behind their
    look-behind) come before the hundreds of other first characters, which ``re`` tries
    one by one; the two kinds never start at one place, so their order changes nothing.

    On a clash the earlier source wins: blockers, organisations, countries, places, coins.
    """
    entries: dict[str, tuple[str, str]] = {}

    def add(names: Iterator[str] | list[str] | tuple[str, ...], kind: str, value: str) -> None:
        for name in names:
            entries.setdefault(_key(name), (kind, value))

    add(_BLOCKERS, "", "")
    for row in _rows("organisations.csv"):
        add([row["name"], *_variants(row)], "organisation", row["name"])
    for code, names in _country_names().items():
        add(names, "country", code)
    for row in _rows("places.csv"):
        add([row["name"], *_variants(row)], "place", row["name"])
    for name, ticker in _COIN_NAMES.items():
        add([name], "coin", ticker)
    for ticker in sorted(_BARE_TICKERS):
        add([ticker], "coin", ticker)
    trie = _trie(_atoms(name) for name in entries)
    latin = {atom: child for atom, child in trie.items() if atom.startswith("(?")}
    others = {atom: child for atom, child in trie.items() if not atom.startswith("(?")}
    branches = "|".join(_trie_pattern(part) for part in (latin, others) if part)
    latin_firsts, other_firsts = _first_characters(entries)
    names = re.compile(f"(?=[{latin_firsts}{other_firsts}])(?:{branches})")
    return entries, _name_starts(latin_firsts, other_firsts), names


def _first_characters(names: Iterable[str]) -> tuple[str, str]:
    """The characters a name can start with, Latin ones and others, for a character class:
    its first character; in either case, or "&", where the name opens with a function word
    (matched in any case, "and" also as "&"); either apostrophe where it opens with one."""
    firsts: set[str] = set()
    for name in names:
        if name.split(" ")[0] in _FUNCTION_WORDS:
            firsts |= {name[0].lower(), name[0].upper(), "&"}
        elif name[0] in "'’":
            firsts |= {"'", "’"}
        else:
            firsts.add(name[0])
    latin = re.compile(f"[{_LATIN}]")
    latin_firsts = "".join(sorted(re.escape(char) for char in firsts if latin.match(char)))
    other_firsts = "".join(sorted(re.escape(char) for char in firsts if not latin.match(char)))
    return latin_firsts, other_firsts


def _name_starts(latin_firsts: str, other_firsts: str) -> re.Pattern[str]:
    """Where a name can start: one of its first characters, a Latin one after no letter or
    digit."""
    starts = [f"(?<![{_LATIN}])[{latin_firsts}]"] if latin_firsts else []
    starts += [f"[{other_firsts}]"] if other_firsts else []
    # The lookahead on all first characters lets ``re`` skip the positions no name starts
    # at before it tries the look-behind (about twice as fast on long text).
    return re.compile(f"(?=[{latin_firsts}{other_firsts}])(?:{'|'.join(starts)})")


def _country_names() -> dict[str, list[str]]:
    """ISO alpha-2 -> English and Chinese names, variants and demonyms."""
    names: dict[str, list[str]] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        if code in _PLACE_NOT_COUNTRY:
            continue
        for attribute in ("name", "official_name", "common_name"):
            name = getattr(country, attribute, None)
            if name and "," not in name and "(" not in name:
                name = name.removeprefix("the ")
                if name not in _AMBIGUOUS_COUNTRY_NAMES:
                    names.setdefault(code, []).append(name)
    for alias, code in _COUNTRY_ALIASES.items():
        names.setdefault(code, []).append(alias)
    for code, demonyms in _DEMONYMS.items():
        names.setdefault(code, []).extend(demonyms)
    for code, chinese in _CHINESE_COUNTRIES.items():
        names.setdefault(code, []).extend(chinese.split())
    return names


_END = ""  # the trie key that ends a name


def _atoms(name: str) -> list[str]:
    """The name as a sequence of regex pieces: any run of spaces, either apostrophe, function
    words in any case, letter/digit boundaries at a Latin start or end (none around Chinese).
    """
    atoms: list[str] = []
    if re.match(f"[{_LATIN}]", name):
        atoms.append(f"(?<![{_LATIN}])")
    for index, word in enumerate(_key(name).split(" ")):
        if index:
            atoms.append(r"\s+")
        if word in _FUNCTION_WORDS:
            atoms.append("(?:and|&)" if word == "and" else f"(?i:{word})")
        else:
            atoms += ["['’]" if char == "'" else re.escape(char) for char in word]
    if re.search(f"[{_LATIN}]$", name):
        atoms.append(f"(?![{_LATIN}])")
    return atoms


def _trie(names: Iterable[list[str]]) -> dict[str, dict]:
    """Names, each a list of regex pieces, as a trie keyed by piece; ``_END`` ends a name."""
    trie: dict[str, dict] = {}
    for atoms in names:
        node = trie
        for atom in [*atoms, _END]:
            node = node.setdefault(atom, {})
    return trie


def _trie_pattern(node: dict[str, dict]) -> str:
    """One regex for all names of a trie, shared prefixes written once so that matching
    costs a few steps per position, not one per name. Longer continuations are tried
    before a name ends or before a boundary check, so the longest name wins."""
    branches = [
        atom + _trie_pattern(child)
        for atom, child in sorted(
            node.items(), key=lambda item: (item[0].startswith("(?"), item[0])
        )
        if atom != _END
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    if _END in node:
        return f"(?:{body})?"
    return body


def _rows(name: str) -> list[dict[str, str]]:
    data = (files("transform.enrich") / "data" / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(data)))


def _variants(row: dict[str, str]) -> list[str]:
    return [variant for variant in row["variants"].split("|") if variant]
