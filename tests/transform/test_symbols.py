from __future__ import annotations

import csv
import dataclasses
import io
from datetime import UTC, datetime
from importlib.resources import files

import pytest

from transform.enrich import enrich
from transform.enrich.symbols import (
    QUOTE_ASSETS,
    Symbols,
    _scan,
    field_symbols,
    find_symbols,
    pair_kind,
    symbol_spans,
    trade_link_symbols,
)
from transform.model import Article, RenderedBody


@pytest.mark.parametrize(
    ("text", "coins", "pairs"),
    [
        (
            "Binance Will List Pudgy Penguins (PENGU) with Seed Tag Applied",
            ("PENGU",),
            (),
        ),
        ("Binance Will Add Worldcoin(WLD) on Earn, Convert and Margin", ("WLD",), ()),
        (
            "Binance Will Delist ANT, MULTI, VAI, XMR on 2024-02-20",
            ("ANT", "MULTI", "VAI", "XMR"),
            (),
        ),
        ("Binance Will Add ABC and XYZ on Earn", ("ABC", "XYZ"), ()),
        # "ı" and "ſ" are "i" and "s" to the case-insensitive verbs, though not when the
        # text is lower-cased.
        ("Binance Will Lıst FOO and BAR", ("FOO", "BAR"), ()),
        ("Binance will ſupport FOO and BAR", ("FOO", "BAR"), ()),
        # A separated pair's quote is no base of the next ("USDT/ETH").
        ("BTC/USDT/ETH and ETH-BTC", ("BTC", "USDT", "ETH"), ("BTC/USDT", "ETH/BTC")),
        ("Binance Will Delist FOO, BAR & BAZ", ("FOO", "BAR", "BAZ"), ()),
        ("Binance Will Add NEW, ALL and FOO to Simple Earn", ("FOO",), ()),
        (
            "Binance Futures Will Launch USDⓈ-M ALPACAUSDT Perpetual Contract",
            ("ALPACA", "USDT"),
            ("ALPACA/USDT",),
        ),
        (
            "Binance Futures Will Delist BTCUSDT Perpetual and 1000PEPEUSDT Perpetual",
            ("BTC", "USDT", "1000PEPE"),
            ("BTC/USDT", "1000PEPE/USDT"),
        ),
        (
            "At 2025-03-14 03:00 (UTC): AAVE/BTC, CAKE/USDC, LINK/BNB and OP/FDUSD",
            ("AAVE", "BTC", "CAKE", "USDC", "LINK", "BNB", "OP", "FDUSD"),
            ("AAVE/BTC", "CAKE/USDC", "LINK/BNB", "OP/FDUSD"),
        ),
        (
            "Binance Will Open Trading for BTC-USDT, ETH_USDC and SOL/TRY",
            ("BTC", "USDT", "ETH", "USDC", "SOL", "TRY"),
            ("BTC/USDT", "ETH/USDC", "SOL/TRY"),
        ),
        (
            "Binance Will Delist USDT/UAH and Close EUR Deposits for USD Accounts",
            ("USDT", "UAH"),
            ("USDT/UAH",),
        ),
        (
            "BTCEUR, BNBTRY and ETHUSD trade at 03:00",
            ("BTC", "EUR", "BNB", "TRY", "ETH", "USD"),
            ("BTC/EUR", "BNB/TRY", "ETH/USD"),
        ),
        (
            "ETH/BTC first, then BTC/USDT, then ETH/BTC again",
            ("ETH", "BTC", "USDT"),
            ("ETH/BTC", "BTC/USDT"),
        ),
        ("Binance Will Add WBETH as a Collateral Asset", ("WBETH",), ()),
        ("NFT/USDT and NFTUSDT stay, a bare NFT does not", ("NFT", "USDT"), ("NFT/USDT",)),
        ("Stake WBETH, BETH or STETH", (), ()),
        ("Harmony (ONE), Notcoin (NOT) and Magic Eden (ME) join", ("ONE", "NOT", "ME"), ()),
        ("Binance Will List Sonic (S); see Section (B)", ("S",), ()),
        ("Cashtags $AIBOT and $1INCH, but not $btc, $5K, $100 or $USD", ("AIBOT", "1INCH"), ()),
        ("Gate 将上线 YZY MONEY (YZY) 现货交易", ("YZY",), ()),
        ("交易地址：https://www.gate.com/zh/trade/YZY_USDT", ("YZY", "USDT"), ("YZY/USDT",)),
        ("开通 YZY/USDT 现货交易对", ("YZY", "USDT"), ("YZY/USDT",)),
        ("BSUUSDT 永续合约全新上线创新板块", ("BSU", "USDT"), ("BSU/USDT",)),
        (
            "开通以下现货交易对：A2Z/USDC、SSV/USDC 和 UMA/USDC",
            ("A2Z", "USDC", "SSV", "UMA"),
            ("A2Z/USDC", "SSV/USDC", "UMA/USDC"),
        ),
        ("欧易将上线 Plume（PLUME）现货交易，以太坊（ETH）", ("PLUME", "ETH"), ()),
        ("币安将于 2026年12月15日下架 CLV、STRAX 和 SNT", ("CLV", "STRAX", "SNT"), ()),
        ("Gate 將下架 VITE 與 WING，上線 A2Z 及 UMA", ("VITE", "WING", "A2Z", "UMA"), ()),
        ("关于 CTXC、LOOM 下架的公告", ("CTXC", "LOOM"), ()),
        ("支持 TRON 网络升级，上线 APP 新功能，上线 AI 助手", (), ()),
    ],
)
def test_find_symbols(text: str, coins: tuple[str, ...], pairs: tuple[str, ...]) -> None:
    assert find_symbols(text) == Symbols(coins=coins, pairs=pairs)


@pytest.mark.parametrize(
    "text",
    [
        "Notice of Removal of Spot Trading Pairs - 2026-10-02",
        "Binance Futures Will Delist Multiple USDⓈ-M Perpetual Contracts (2026-10-05)",
        "ONE ALL IT FOR GAS NOT ME USD API UTC KYC NFT ETF VIP FAQ USDⓈ-M COIN-M ERC-20",
        "Binance Will List ONE, ALL and NOT",
        "Binance Will Launch VIP, API and KYC Upgrades",
        "Trading starts 2026-10-02 03:00 (UTC+2); Know Your Customer (KYC) (FAQ) (UTC) apply",
        "COUNTRY ENTRY REGISTRY TEETH AMATEUR BENEATH",
        "USD (USD) and Euro (EUR) are fiat; $EUR too",
        "cbBTC and wstETH are mixed case",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert find_symbols(text) == Symbols(coins=(), pairs=())


def test_symbols_is_frozen() -> None:
    symbols = find_symbols("BTC/USDT")
    with pytest.raises(dataclasses.FrozenInstanceError):
        symbols.pairs = ()  # type: ignore[misc]


def test_asset_list_is_well_formed_and_covers_quotes() -> None:
    data = (files("transform.enrich") / "data" / "assets.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(data)))
    assert list(rows[0]) == ["symbol", "name", "kind"]
    symbols = [row["symbol"] for row in rows]
    assert len(symbols) == len(set(symbols)) > 300
    assert {row["kind"] for row in rows} == {"crypto", "stablecoin", "fiat"}
    assert all(row["symbol"] == row["symbol"].upper() and row["name"] for row in rows)
    assert set(symbols) >= QUOTE_ASSETS


def test_a_known_base_beats_the_longest_quote():
    assert find_symbols("Kraken Futures lists PF_XBTUSD").pairs == ("XBT/USD",)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("BSUUSDT 永续合约全新上线", ["perpetual"]),
        ("调整 ORDIUSDT、WIFUSDT 和 PEPEUSDT U 本位永续合约的杠杆", ["perpetual"] * 3),
        ("Bybit 將下架 VITEUSDT 永續合約", ["perpetual"]),
        ("BTC-USDT-SWAP 的限价规则", ["perpetual"]),
        ("the USDⓈ-M BSUUSDT perpetual contract", ["perpetual"]),
        ("Margin will add TREE/USDT and MITO/USDT as isolated margin pairs", ["margin"] * 2),
        ("新增 TREE/USDT 逐仓杠杆交易对", ["margin"]),
        ("ETHUSD quarterly futures expire", ["futures"]),
        ("开通 CTXC/USDT 和 AUCTION/USDT 现货交易对", ["spot", "spot"]),
        ("BTC/USDT rose 3%. Perpetual funding turned positive", ["spot"]),
    ],
)
def test_pair_kind_comes_from_the_pairs_clause(text: str, kinds: list[str]) -> None:
    pairs = [span for span in symbol_spans(text) if span[0] == "pair"]
    assert [pair_kind(text, start, end) for _, _, _, start, end in pairs] == kinds


def test_trade_links_give_the_pairs_their_text_hides() -> None:
    markdown = (
        "[立即交易](https://www.gate.com/zh/trade/YZY_USDT) "
        "[合约](https://www.gate.com/zh/futures/USDT/HOLO_USDT) "
        "[OKX](https://www.okx.com/trade-spot/btc-usdt) "
        "[Bitget](https://www.bitget.com/spot/SOLUSDT?type=spot) "
        "[an article](https://example.com/news/BTC-USDT-analysis) "
        "[a notice](https://www.gate.com/zh/announcements/article/53670) "
        "[a page](https://www.gate.com/trade/spotlight)"
    )
    assert trade_link_symbols(markdown) == Symbols(
        coins=("YZY", "USDT", "HOLO", "BTC", "SOL"),
        pairs=("YZY/USDT", "HOLO/USDT", "BTC/USDT", "SOL/USDT"),
    )
    assert trade_link_symbols("https://www.gate.com/zh/trade/YZY_USDT") == Symbols((), ())


def test_enrich_adds_the_trade_link_pairs() -> None:
    article = Article(
        article_id="a",
        source="gate_announcements",
        exchange="gate",
        native_id="1",
        url="https://www.gate.com/zh/announcements/article/1",
        fetched_at=datetime(2026, 12, 1, tzinfo=UTC),
        raw_ref="r",
        title="Gate 将上线 Sahara AI (SAHARA) 现货交易",
        body_text="立即交易",
        body_markdown="[立即交易](https://www.gate.com/zh/trade/SAHARA_USDT)",
        coins=["SAHARA"],
    )
    enriched = enrich(article)
    assert (enriched.coins, enriched.pairs) == (["SAHARA", "USDT"], ["SAHARA/USDT"])


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("Binance Will List Walrus (WAL)", "Trading pairs: WAL/USDT, WALUSDC and $WAL."),
        ("关于币安现货新增交易对的公告", "币安将上线 A2Z/USDC、SSV/USDC 和 UMA/USDC 现货交易对。"),
        ("Will Delist CLV, STRAX and SNT", "BTCUSDT stays; CLV/BTC goes. 1000PEPEUSDT too."),
        ("No symbols here", ""),
    ],
)
def test_fields_read_apart_as_joined(title: str, body: str) -> None:
    """Title and body scanned one by one give the coins and pairs, in the order, of the
    two joined by a line break (the reading before the scans were shared)."""
    assert field_symbols(title, body) == find_symbols(f"{title}\n{body}".strip())


def test_an_article_is_scanned_once_per_field() -> None:
    """The parser's coins and pairs and the mentions read one scan of each field."""
    title = "Binance Will List Scanned Once (SCNO)"
    body = "Trading pair SCNO/USDT opens at 2026-12-01 08:00 (UTC)."
    article = Article.read(
        source="binance", exchange="binance", native_id="1", url="", language="en",
        fetched_at=datetime(2026, 11, 30, tzinfo=UTC), raw_ref="r", title=title,
        body=RenderedBody(body, body),
    )  # fmt: skip
    scans = _scan.cache_info().misses
    enriched = enrich(article)
    assert _scan.cache_info().misses == scans
    assert article.pairs == ["SCNO/USDT"]
    assert [m.value for m in enriched.mentions if m.kind in ("coin", "pair")] == [
        "SCNO",
        "SCNO/USDT",
    ]
