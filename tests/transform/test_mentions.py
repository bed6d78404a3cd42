from __future__ import annotations

import csv
import io
from datetime import datetime
from importlib.resources import files
from pathlib import Path

import pycountry
import pytest

from transform.enrich.mentions import _name_matches, find_mentions
from transform.enrich.symbols import find_symbols, symbol_spans
from transform.model import Mention

SEED = Path("/work/shared/seed/gate-square-post.txt")


def spans(text: str, field: str = "body_text") -> list[tuple[str, str, str]]:
    """(kind, text, value) of every mention, after checking the offsets point at the text."""
    mentions = find_mentions(text, field)
    assert_well_formed(text, mentions, field)
    return [(m.kind, m.text, m.value) for m in mentions]


def assert_well_formed(text: str, mentions: list[Mention], field: str = "body_text") -> None:
    end = 0
    for mention in mentions:
        assert text[mention.start_offset : mention.end_offset] == mention.text
        assert mention.start_offset >= end, "mentions overlap or are out of order"
        assert mention.field == field
        end = mention.end_offset


def seed_paragraphs() -> str:
    if not SEED.exists():
        pytest.skip(f"{SEED} is not here")
    lines = [line for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert "View Original" in lines[6:8]
    return "\n\n".join(lines[:6])


def test_the_seed_post_names_exactly_these() -> None:
    assert spans(seed_paragraphs()) == [
        ("organisation", "U.S. Department of the Treasury", "U.S. Department of the Treasury"),
        ("country", "Myanmar", "MM"),
        ("country", "Cambodia", "KH"),
        ("country", "US", "US"),
        ("money", "$10 billion", "10000000000 USD"),
        ("percent", "66%", "66%"),
        ("country", "China", "CN"),
        ("country", "Myanmar", "MM"),
        ("country", "Myanmar", "MM"),
        ("country", "Cambodia", "KH"),
        ("country", "Philippines", "PH"),
        ("place", "Myawaddy", "Myawaddy"),
        ("country", "Myanmar", "MM"),
        ("place", "Phnom Penh", "Phnom Penh"),
        ("country", "Cambodia", "KH"),
        ("place", "Sihanoukville", "Sihanoukville"),
        ("country", "United States", "US"),
        ("country", "Cambodia", "KH"),
        ("money", "$50 billion", "50000000000 USD"),
        ("country", "American", "US"),
        ("country", "United States", "US"),
        ("country", "India", "IN"),
        ("country", "American", "US"),
        ("country", "United States", "US"),
        ("country", "U.S.", "US"),
    ]


def test_the_seed_post_by_kind() -> None:
    mentions = find_mentions(seed_paragraphs())
    values: dict[str, set[str]] = {}
    for mention in mentions:
        values.setdefault(mention.kind, set()).add(mention.value)
    assert values == {
        "country": {"US", "MM", "KH", "CN", "PH", "IN"},
        "place": {"Myawaddy", "Phnom Penh", "Sihanoukville"},
        "organisation": {"U.S. Department of the Treasury"},
        "money": {"10000000000 USD", "50000000000 USD"},
        "percent": {"66%"},
    }
    money = [(m.amount, m.unit) for m in mentions if m.kind == "money"]
    assert money == [(10_000_000_000, "USD"), (50_000_000_000, "USD")]
    assert [(m.amount, m.unit) for m in mentions if m.kind == "percent"] == [(66, "%")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Binance Will List Pudgy Penguins (PENGU) with Seed Tag Applied. Trading opens at "
            "2026-09-07 08:00 (UTC) for PENGU/USDT and PENGU/USDC.",
            [
                ("organisation", "Binance", "Binance"),
                ("coin", "PENGU", "PENGU"),
                ("event_time", "2026-09-07 08:00 (UTC)", "2026-09-07T08:00:00+00:00"),
                ("pair", "PENGU/USDT", "PENGU/USDT"),
                ("pair", "PENGU/USDC", "PENGU/USDC"),
            ],
        ),
        (
            "Binance Futures Will Launch USDⓈ-M ALPACAUSDT Perpetual Contract on "
            "2025-03-14 03:00 (UTC)",
            [
                ("organisation", "Binance", "Binance"),
                ("pair", "ALPACAUSDT", "ALPACA/USDT"),
                ("event_time", "2025-03-14 03:00 (UTC)", "2025-03-14T03:00:00+00:00"),
            ],
        ),
        (
            "Binance Will Delist ANT, MULTI, VAI, XMR on 2024-02-20 03:00 (UTC+8)",
            [
                ("organisation", "Binance", "Binance"),
                ("coin", "ANT", "ANT"),
                ("coin", "MULTI", "MULTI"),
                ("coin", "VAI", "VAI"),
                ("coin", "XMR", "XMR"),
                ("event_time", "2024-02-20 03:00 (UTC+8)", "2024-02-19T19:00:00+00:00"),
            ],
        ),
        (
            "Binance Futures Will Delist BTCUSDT Perpetual and 1000PEPEUSDT Perpetual",
            [
                ("organisation", "Binance", "Binance"),
                ("pair", "BTCUSDT", "BTC/USDT"),
                ("pair", "1000PEPEUSDT", "1000PEPE/USDT"),
            ],
        ),
        (
            "Bybit will open trading for BTC-USDT and ETH_USDC at Sep 7, 2026, 10:00 UTC+8.",
            [
                ("organisation", "Bybit", "Bybit"),
                ("pair", "BTC-USDT", "BTC/USDT"),
                ("pair", "ETH_USDC", "ETH/USDC"),
                ("event_time", "Sep 7, 2026, 10:00 UTC+8", "2026-09-07T02:00:00+00:00"),
            ],
        ),
        (
            "OKX will list SOL-USDT-SWAP perpetuals on September 7, 2026 at 2:30 PM (UTC).",
            [
                ("organisation", "OKX", "OKX"),
                ("pair", "SOL-USDT", "SOL/USDT"),
                (
                    "event_time",
                    "September 7, 2026 at 2:30 PM (UTC)",
                    "2026-09-07T14:30:00+00:00",
                ),
            ],
        ),
        (
            "KuCoin: deposits open on 7 Sep 2026, 09:00 UTC; trading starts 2026/09/07 10:00 UTC.",
            [
                ("organisation", "KuCoin", "KuCoin"),
                ("event_time", "7 Sep 2026, 09:00 UTC", "2026-09-07T09:00:00+00:00"),
                ("event_time", "2026/09/07 10:00 UTC", "2026-09-07T10:00:00+00:00"),
            ],
        ),
        (
            "Withdrawals resume at 2026-09-07T08:00:00Z and close 2026-09-08 08:00:00 UTC+8.",
            [
                ("event_time", "2026-09-07T08:00:00Z", "2026-09-07T08:00:00+00:00"),
                ("event_time", "2026-09-08 08:00:00 UTC+8", "2026-09-08T00:00:00+00:00"),
            ],
        ),
        (
            "币安将于2026年9月7日 08:00上线 PENGU/USDT 交易对。",
            [
                ("organisation", "币安", "Binance"),
                ("event_time", "2026年9月7日 08:00", "2026-09-07T08:00:00+00:00"),
                ("pair", "PENGU/USDT", "PENGU/USDT"),
            ],
        ),
        (
            "Gate 将于北京时间2026年9月7日下午4:00开放 BTC_USDT 现货交易。",
            [
                ("organisation", "Gate", "Gate"),
                ("event_time", "北京时间2026年9月7日下午4:00", "2026-09-07T08:00:00+00:00"),
                ("pair", "BTC_USDT", "BTC/USDT"),
            ],
        ),
        (
            "2026年9月7日（周一）16:00（UTC+8）開放交易",
            [("event_time", "2026年9月7日（周一）16:00（UTC+8）", "2026-09-07T08:00:00+00:00")],
        ),
        (
            "Bybit lost about $1.5 billion in ETH to hackers linked to North Korea's "
            "Lazarus Group.",
            [
                ("organisation", "Bybit", "Bybit"),
                ("money", "$1.5 billion", "1500000000 USD"),
                ("coin", "ETH", "ETH"),
                ("country", "North Korea", "KP"),
                ("organisation", "Lazarus Group", "Lazarus Group"),
            ],
        ),
        (
            "The exploit drained $1.2B from the bridge; the attacker moved 200 BTC and "
            "50,000 USDT through Tornado Cash.",
            [
                ("money", "$1.2B", "1200000000 USD"),
                ("money", "200 BTC", "200 BTC"),
                ("money", "50,000 USDT", "50000 USDT"),
                ("organisation", "Tornado Cash", "Tornado Cash"),
            ],
        ),
        (
            "The U.S. Securities and Exchange Commission approved 11 spot Bitcoin ETFs from "
            "BlackRock, Fidelity and Grayscale.",
            [
                (
                    "organisation",
                    "U.S. Securities and Exchange Commission",
                    "U.S. Securities and Exchange Commission",
                ),
                ("coin", "Bitcoin", "BTC"),
                ("organisation", "BlackRock", "BlackRock"),
                ("organisation", "Fidelity", "Fidelity"),
                ("organisation", "Grayscale", "Grayscale"),
            ],
        ),
        (
            "The SEC sued Coinbase and Binance in June; the second lawsuit named Binance.US.",
            [
                ("organisation", "SEC", "U.S. Securities and Exchange Commission"),
                ("organisation", "Coinbase", "Coinbase"),
                ("organisation", "Binance", "Binance"),
                ("organisation", "Binance.US", "Binance.US"),
            ],
        ),
        (
            "The CFTC and the DOJ reached a $4.3 billion settlement with Binance.",
            [
                ("organisation", "CFTC", "Commodity Futures Trading Commission"),
                ("organisation", "DOJ", "U.S. Department of Justice"),
                ("money", "$4.3 billion", "4300000000 USD"),
                ("organisation", "Binance", "Binance"),
            ],
        ),
        (
            "OFAC sanctioned Huione Group, and FinCEN cut it off from the US financial system.",
            [
                ("organisation", "OFAC", "Office of Foreign Assets Control"),
                ("organisation", "Huione Group", "Huione Group"),
                ("organisation", "FinCEN", "Financial Crimes Enforcement Network"),
                ("country", "US", "US"),
            ],
        ),
        (
            "The US Treasury and the Treasury Department are one; so is the Department Of The "
            "Treasury.",
            [
                ("organisation", "US Treasury", "U.S. Department of the Treasury"),
                ("organisation", "Treasury Department", "U.S. Department of the Treasury"),
                (
                    "organisation",
                    "Department Of The Treasury",
                    "U.S. Department of the Treasury",
                ),
            ],
        ),
        (
            "The FCA in London and BaFin in Frankfurt warned investors; ESMA followed.",
            [
                ("organisation", "FCA", "Financial Conduct Authority"),
                ("place", "London", "London"),
                ("organisation", "BaFin", "BaFin"),
                ("place", "Frankfurt", "Frankfurt"),
                ("organisation", "ESMA", "European Securities and Markets Authority"),
            ],
        ),
        (
            "Hong Kong's SFC licensed OKX and Bybit, while the MAS in Singapore tightened rules.",
            [
                ("place", "Hong Kong", "Hong Kong"),
                ("organisation", "SFC", "Securities and Futures Commission"),
                ("organisation", "OKX", "OKX"),
                ("organisation", "Bybit", "Bybit"),
                ("organisation", "MAS", "Monetary Authority of Singapore"),
                ("country", "Singapore", "SG"),
            ],
        ),
        (
            "Tether minted 1B USDT while Circle burned USDC worth $500 million.",
            [
                ("organisation", "Tether", "Tether"),
                ("money", "1B USDT", "1000000000 USDT"),
                ("organisation", "Circle", "Circle"),
                ("coin", "USDC", "USDC"),
                ("money", "$500 million", "500000000 USD"),
            ],
        ),
        (
            "据报道，美国财政部对柬埔寨太子集团实施制裁，涉案金额约 1.5 亿美元。",
            [
                ("organisation", "美国财政部", "U.S. Department of the Treasury"),
                ("country", "柬埔寨", "KH"),
                ("organisation", "太子集团", "Prince Group"),
                ("money", "1.5 亿美元", "150000000 USD"),
            ],
        ),
        (
            "缅甸妙瓦底和柬埔寨西港的电诈园区吸引了大量中国和菲律宾的受害者。",
            [
                ("country", "缅甸", "MM"),
                ("place", "妙瓦底", "Myawaddy"),
                ("country", "柬埔寨", "KH"),
                ("place", "西港", "Sihanoukville"),
                ("country", "中国", "CN"),
                ("country", "菲律宾", "PH"),
            ],
        ),
        (
            "该交易所在香港和新加坡均持有牌照，日交易量超过 10 万 USDT。",
            [
                ("place", "香港", "Hong Kong"),
                ("country", "新加坡", "SG"),
                ("money", "10 万 USDT", "100000 USDT"),
            ],
        ),
        (
            "美國證券交易委員會起訴幣安，涉及 5000萬美元；北韓駭客盜走 2 億美元。",
            [
                ("organisation", "美國證券交易委員會", "U.S. Securities and Exchange Commission"),
                ("organisation", "幣安", "Binance"),
                ("money", "5000萬美元", "50000000 USD"),
                ("country", "北韓", "KP"),
                ("money", "2 億美元", "200000000 USD"),
            ],
        ),
        (
            "币安称，比特币价格上涨了 12.5 percent，以太坊下跌百分之十。",
            [
                ("organisation", "币安", "Binance"),
                ("coin", "比特币", "BTC"),
                ("percent", "12.5 percent", "12.5%"),
                ("coin", "以太坊", "ETH"),
                ("percent", "百分之十", "10%"),
            ],
        ),
        (
            "Fees fell 66% while volume rose 12.5 percent and -3.2% on the day.",
            [
                ("percent", "66%", "66%"),
                ("percent", "12.5 percent", "12.5%"),
                ("percent", "-3.2%", "-3.2%"),
            ],
        ),
        (
            "The fund raised €2.5m in Paris and USD 3 million in Dubai.",
            [
                ("money", "€2.5m", "2500000 EUR"),
                ("place", "Paris", "Paris"),
                ("money", "USD 3 million", "3000000 USD"),
                ("place", "Dubai", "Dubai"),
            ],
        ),
        (
            "Upbit and Bithumb in Seoul paused deposits after ₩50 billion moved.",
            [
                ("organisation", "Upbit", "Upbit"),
                ("organisation", "Bithumb", "Bithumb"),
                ("place", "Seoul", "Seoul"),
                ("money", "₩50 billion", "50000000000 KRW"),
            ],
        ),
        (
            "The Philippine SEC blocked Binance; Filipino users in Manila lost access.",
            [
                (
                    "organisation",
                    "Philippine SEC",
                    "Securities and Exchange Commission (Philippines)",
                ),
                ("organisation", "Binance", "Binance"),
                ("country", "Filipino", "PH"),
                ("place", "Manila", "Manila"),
            ],
        ),
        (
            "Interpol and the FBI arrested suspects in Phnom Penh, Sihanoukville and Bangkok.",
            [
                ("organisation", "Interpol", "Interpol"),
                ("organisation", "FBI", "Federal Bureau of Investigation"),
                ("place", "Phnom Penh", "Phnom Penh"),
                ("place", "Sihanoukville", "Sihanoukville"),
                ("place", "Bangkok", "Bangkok"),
            ],
        ),
        (
            "Scam compounds in Myawaddy and Shwe Kokko near Mae Sot hold thousands of victims.",
            [
                ("place", "Myawaddy", "Myawaddy"),
                ("place", "Shwe Kokko", "Shwe Kokko"),
                ("place", "Mae Sot", "Mae Sot"),
            ],
        ),
        (
            "Investors in India and Nigeria bought $BTC and $SOL while Latin American users "
            "bought USDT.",
            [
                ("country", "India", "IN"),
                ("country", "Nigeria", "NG"),
                ("coin", "BTC", "BTC"),
                ("coin", "SOL", "SOL"),
                ("coin", "USDT", "USDT"),
            ],
        ),
        (
            "In 2024 BTC rose above $100,000 for the first time.",
            [("coin", "BTC", "BTC"), ("money", "$100,000", "100000 USD")],
        ),
        (
            "Russia and Iran use crypto to evade sanctions, according to the U.K. and the EU.",
            [
                ("country", "Russia", "RU"),
                ("country", "Iran", "IR"),
                ("country", "U.K.", "GB"),
                ("organisation", "EU", "European Union"),
            ],
        ),
        (
            "A US-based trader was charged in the Southern District of New York.",
            [
                ("country", "US", "US"),
                (
                    "organisation",
                    "Southern District of New York",
                    "Southern District of New York",
                ),
            ],
        ),
        (
            "MicroStrategy bought 10,000 BTC for about $1 billion; Kraken paid the IRS.",
            [
                ("organisation", "MicroStrategy", "MicroStrategy"),
                ("money", "10,000 BTC", "10000 BTC"),
                ("money", "$1 billion", "1000000000 USD"),
                ("organisation", "Kraken", "Kraken"),
                ("organisation", "IRS", "Internal Revenue Service"),
            ],
        ),
        (
            "Gate Square users discussed the OKX listing of ETH/BTC and Gate.io's new pairs.",
            [
                ("organisation", "Gate Square", "Gate"),
                ("organisation", "OKX", "OKX"),
                ("pair", "ETH/BTC", "ETH/BTC"),
                ("organisation", "Gate.io", "Gate"),
            ],
        ),
        (
            "Users in New Mexico, Mexico, American Samoa, Niger, Nigeria, the Dominican Republic "
            "and Papua New Guinea; Burma and the Netherlands; Türkiye and Turkey.",
            [
                ("place", "New Mexico", "New Mexico"),
                ("country", "Mexico", "MX"),
                ("country", "American Samoa", "AS"),
                ("country", "Niger", "NE"),
                ("country", "Nigeria", "NG"),
                ("country", "Dominican Republic", "DO"),
                ("country", "Papua New Guinea", "PG"),
                ("country", "Burma", "MM"),
                ("country", "Netherlands", "NL"),
                ("country", "Türkiye", "TR"),
                ("country", "Turkey", "TR"),
            ],
        ),
        (
            "South Korea, North Korea, Korea, the UK and the People’s Bank of China.",
            [
                ("country", "South Korea", "KR"),
                ("country", "North Korea", "KP"),
                ("country", "Korea", "KR"),
                ("country", "UK", "GB"),
                ("organisation", "People’s Bank of China", "People's Bank of China"),
            ],
        ),
        (
            "南美国家和中非合作论坛；印度尼西亚和马里兰州。",
            [("country", "印度尼西亚", "ID"), ("place", "马里兰州", "Maryland")],
        ),
        (
            "Raised US$5 million and HK$2 million; the fee is ¥100 in Tokyo.",
            [
                ("money", "US$5 million", "5000000 USD"),
                ("money", "HK$2 million", "2000000 HKD"),
                ("money", "¥100", "100 JPY"),
                ("place", "Tokyo", "Tokyo"),
            ],
        ),
        (
            "手续费为 ¥100，约 20 万元人民币。",
            [
                ("money", "¥100", "100 CNY"),
                ("money", "20 万元人民币", "200000 CNY"),
            ],
        ),
    ],
)
def test_mentions(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert spans(text) == expected


@pytest.mark.parametrize(
    ("text", "value", "amount", "unit"),
    [
        ("$10 billion", "10000000000 USD", 10_000_000_000, "USD"),
        ("1.5 亿美元", "150000000 USD", 150_000_000, "USD"),
        ("50,000 USDT", "50000 USDT", 50_000, "USDT"),
        ("€2.5m", "2500000 EUR", 2_500_000, "EUR"),
        ("USD 3 million", "3000000 USD", 3_000_000, "USD"),
        ("10 万 USDT", "100000 USDT", 100_000, "USDT"),
        ("$1.2B", "1200000000 USD", 1_200_000_000, "USD"),
        ("200 BTC", "200 BTC", 200, "BTC"),
        ("0.5 ETH", "0.5 ETH", 0.5, "ETH"),
        ("$5k", "5000 USD", 5_000, "USD"),
        ("£0.75", "0.75 GBP", 0.75, "GBP"),
        ("S$2.25 mn", "2250000 SGD", 2_250_000, "SGD"),
        ("3 million euros", "3000000 EUR", 3_000_000, "EUR"),
        ("12 billion US dollars", "12000000000 USD", 12_000_000_000, "USD"),
        ("US$1.5 billion", "1500000000 USD", 1_500_000_000, "USD"),
        ("HK$2,000", "2000 HKD", 2_000, "HKD"),
    ],
)
def test_money_amounts(text: str, value: str, amount: float, unit: str) -> None:
    [mention] = find_mentions(f"They moved {text} today.")
    assert (mention.kind, mention.text, mention.value) == ("money", text, value)
    assert (mention.amount, mention.unit) == (amount, unit)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("66%", 66),
        ("12.5 percent", 12.5),
        ("7 per cent", 7),
        ("百分之六十六", 66),
        ("-3%", -3),
        ("+4.5 pct", 4.5),
        ("−2.25%", -2.25),
    ],
)
def test_percent_amounts(text: str, amount: float) -> None:
    [mention] = find_mentions(f"Up {text} today")
    assert (mention.kind, mention.text, mention.amount, mention.unit) == (
        "percent",
        text,
        amount,
        "%",
    )


@pytest.mark.parametrize(
    "text",
    [
        "USDT and USDC-margined contracts; BUSD and USD1; the USDⓈ-M board.",
        "We will investigate the aggregate and navigate the gateway; segregate funds.",
        "The second round; a SECOND look; sections and secrets.",
        "HELP US WIN THE TRADING COMPETITION",
        "Chad Smith and Jordan Belfort visited Georgia and the Golden Gate Bridge.",
        "Indianapolis, Chinatown, Omani, Nigerien; Ethernet and Solanaceae; Etherscan.",
        "a $10-20 million round, at 10 AM, version 1.2.3, in May 2026, Q3 2025.",
        "Trading at 10:00. Delisting on 2024-02-20. The 2024 halving. A 3:1 split.",
        "1.2.2026 10:00 and 12/31/2026 10:00 and 2026-13-40 25:61 UTC.",
        "2 ID cards; 5 ONE; 10 GAS; 3 NEW tokens.",
        "In 2024 BTC-margined volume (a dash, not a pair).",
        "Latin America, South America, North American users and the Indian Ocean.",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert [m for m in spans(text) if m[0] not in ("coin", "pair")] == []
    assert all(m[0] != "country" for m in spans(text))


def test_usdt_is_never_the_us() -> None:
    text = "USDT, USDC, USDT-M, BTCUSDT, 1,000 USDT and USD1"
    assert all(kind != "country" for kind, _, _ in spans(text))


def test_field_and_offsets() -> None:
    text = "Binance lists BTC/USDT at 2026-09-07 08:00 (UTC) in Dubai"
    mentions = find_mentions(text, field="title")
    assert_well_formed(text, mentions, field="title")
    assert [(m.start_offset, m.end_offset) for m in mentions] == [
        (0, 7),
        (14, 22),
        (26, 48),
        (52, 57),
    ]
    assert find_mentions("") == []


def test_symbol_spans_agree_with_find_symbols() -> None:
    texts = [
        "Binance Will List Pudgy Penguins (PENGU) with Seed Tag Applied",
        "Binance Futures Will Delist BTCUSDT Perpetual and 1000PEPEUSDT Perpetual",
        "At 2025-03-14 03:00 (UTC): AAVE/BTC, CAKE/USDC, LINK/BNB and OP/FDUSD",
        "Binance Will Open Trading for BTC-USDT, ETH_USDC and SOL/TRY",
        "Cashtags $AIBOT and $1INCH, but not $btc, $5K, $100 or $USD",
        "Binance Will Delist FOO, BAR & BAZ; ETH/BTC first, then ETH/BTC again",
    ]
    for text in texts:
        found = symbol_spans(text)
        assert all(text[start:end] == written for _, written, _, start, end in found)
        pairs = tuple(dict.fromkeys(value for kind, _, value, _, _ in found if kind == "pair"))
        assert pairs == find_symbols(text).pairs
        coins = {value for kind, _, value, _, _ in found if kind == "coin"}
        assert coins <= set(find_symbols(text).coins)


def _rows(name: str) -> list[dict[str, str]]:
    data = (files("transform.enrich") / "data" / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(data)))


def _names(row: dict[str, str]) -> list[str]:
    return [row["name"], *filter(None, row["variants"].split("|"))]


def test_places_are_well_formed() -> None:
    rows = _rows("places.csv")
    assert list(rows[0]) == ["name", "variants", "country", "kind"]
    assert len(rows) > 200
    names = [name for row in rows for name in _names(row)]
    assert len(names) == len(set(names))
    assert all(pycountry.countries.get(alpha_2=row["country"]) for row in rows)
    assert {row["kind"] for row in rows} == {"city", "region", "district"}
    # Each place names itself, not a country (Singapore is a country, never a place).
    for row in rows:
        for name in _names(row):
            assert [(m.kind, m.value) for m in find_mentions(name)] == [("place", row["name"])]


def test_organisations_are_well_formed() -> None:
    rows = _rows("organisations.csv")
    assert list(rows[0]) == ["name", "variants", "kind", "country"]
    names = [name for row in rows for name in _names(row)]
    assert len(names) == len(set(names))
    assert all(
        not row["country"] or pycountry.countries.get(alpha_2=row["country"]) for row in rows
    )
    for row in rows:
        for name in _names(row):
            assert [(m.kind, m.value) for m in find_mentions(name)] == [
                ("organisation", row["name"])
            ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("upgrade on 2026-12-10 from 02:00 (UTC) to 04:00 (UTC).",
         ["2026-12-10T02:00:00+00:00", "2026-12-10T04:00:00+00:00"]),
        ("Call auction: 9:00 am to 10:00 am UTC on December 2, 2026.",
         ["2026-12-02T09:00:00+00:00", "2026-12-02T10:00:00+00:00"]),
        ("Trading will be stopped at 10:00 on December 12, 2026 (UTC).",
         ["2026-12-12T10:00:00+00:00"]),
        ("Gate 将于 2026 年 12 月 8 日 14:00 至 16:00 (UTC+8) 进行系统升级",
         ["2026-12-08T06:00:00+00:00", "2026-12-08T08:00:00+00:00"]),
        ("币安将于 2026-12-04 16:00（东八区时间） 上线", ["2026-12-04T08:00:00+00:00"]),
        ("Between 07:42 and 08:31 UTC on November 27, 2026",
         ["2026-11-27T07:42:00+00:00", "2026-11-27T08:31:00+00:00"]),
        ("Dec 6, 2026 - 14:00 UTC", ["2026-12-06T14:00:00+00:00"]),
        ("Maintenance from 23:00 to 01:00 on December 6, 2026 (UTC)",
         ["2026-12-05T23:00:00+00:00", "2026-12-06T01:00:00+00:00"]),
        ("Bybit will delist it on Oct 6, 2026, 8AM UTC.", ["2026-10-06T08:00:00+00:00"]),
        ("on Dec 9, 2026, 6 PM UTC", ["2026-12-09T18:00:00+00:00"]),
        ("Bybit 将于 2026年12月3日 10:00（UTC）上线", ["2026-12-03T10:00:00+00:00"]),
    ],
)  # fmt: skip
def test_event_times_written_time_first_and_as_ranges(text: str, expected: list[str]):
    found = [m.value for m in find_mentions(text) if m.kind == "event_time"]
    assert sorted(found) == sorted(expected)


@pytest.mark.parametrize(
    ("text", "reference", "expected"),
    [
        ("Gate 将于 12月10日 19:30 (UTC+8) 上线", "2026-12-08T00:00:00+00:00",
         ["2026-12-10T11:30:00+00:00"]),
        ("充值开放时间：12 月 10 日 16:00（UTC+8）", "2026-12-08T00:00:00+00:00",
         ["2026-12-10T08:00:00+00:00"]),
        ("将于 1月5日 14:00（UTC）开放交易", "2026-12-28T00:00:00+00:00",
         ["2027-01-05T14:00:00+00:00"]),  # the coming January
        ("已于 11月30日 14:00（UTC）完成升级", "2026-12-02T00:00:00+00:00",
         ["2026-11-30T14:00:00+00:00"]),
        ("2026 年 12 月 10 日 16:00 (UTC+8)", "2027-06-01T00:00:00+00:00",
         ["2026-12-10T08:00:00+00:00"]),  # a written year wins
        ("将于 2月30日 14:00 开放", "2026-12-28T00:00:00+00:00", []),
    ],
)  # fmt: skip
def test_chinese_dates_without_a_year_take_the_articles(
    text: str, reference: str, expected: list[str]
) -> None:
    found = find_mentions(text, reference=datetime.fromisoformat(reference))
    assert [m.value for m in found if m.kind == "event_time"] == expected
    without = [m.value for m in find_mentions(text) if m.kind == "event_time"]
    assert without == (expected if "年" in text else [])


def test_pair_mentions_carry_their_kind() -> None:
    text = "BSUUSDT 永续合约与 YZY/USDT 现货交易对于 2026-12-04 16:00（东八区时间）上线"
    found = [(m.value, m.pair_kind) for m in find_mentions(text) if m.kind == "pair"]
    assert found == [("BSU/USDT", "perpetual"), ("YZY/USDT", "spot")]
    assert {m.pair_kind for m in find_mentions(text) if m.kind != "pair"} == {None}


def test_names_inside_a_name_are_found_too() -> None:
    """The names' pattern resumes after each match, so the places inside one are tried
    apart: the inner name is the one kept when another mention overlaps the outer."""
    found = [(match.start(), match[0]) for match in _name_matches("South Korea and 中国人民银行")]
    assert found == [(0, "South Korea"), (6, "Korea"), (16, "中国人民银行"), (18, "人民银行")]
