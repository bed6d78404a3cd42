"""Category rules (transform/enrich/rules/*.toml through transform.enrich.category): the
title shapes exchanges publish in English, simplified and traditional Chinese, and the
body's opening when the title is silent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from transform.enrich import enrich
from transform.enrich.category import (
    CATEGORY_ORDER,
    TAXONOMY,
    TITLE_CHARS,
    category_from_text,
    category_from_title,
)
from transform.model import Article


@pytest.mark.parametrize(
    ("title", "category"),
    [
        ("Gate 将上线 YZY MONEY (YZY) 现货交易", "listing"),
        ("关于币安现货新增交易对及交易机器人服务的公告", "listing"),
        ("BSUUSDT 永续合约全新上线创新板块，支持最高 20 倍杠杆", "listing"),
        ("币安合约将上线 NEWTUSDT U 本位永续合约（最高 50 倍杠杆）", "listing"),
        ("欧易将上线 Plume（PLUME）现货交易", "listing"),
        ("首发上线：Gate 将支持 Cherry AI (AIBOT) 现货交易", "listing"),
        ("Somnia (SOMI) 上線 KuCoin！", "listing"),
        ("Gate 將上線 Huma Finance (HUMA) 現貨交易", "listing"),
        ("Bybit 永續合約新幣上線：DOLOUSDT，最高 20 倍槓桿", "listing"),
        ("KuCoin 將上架 Resolv (RESOLV)", "listing"),
        ("Gate 将下架 CTXC、LOOM 和 ORBS", "delisting"),
        ("币安合约将下架 BETAUSDT U本位永续合约", "delisting"),
        ("欧易将下线 CTXC、AUCTION 现货交易对", "delisting"),
        ("Gate 关于 MDXUSDT 永续合约下线的公告", "delisting"),
        ("Bybit 將下架 VITEUSDT 永續合約", "delisting"),
        ("Gate 將終止 BAL 現貨交易", "delisting"),
        ("币安将移除 FIL/BTC 和 ROSE/BNB 交易对", "delisting"),
        ("Gate 关于钱包系统维护的公告", "maintenance"),
        ("關於 KuCoin 系統維護的公告", "maintenance"),
        ("欧易将暂停以太坊网络充提以支持 Fusaka 升级", "deposit_withdrawal"),
        ("KuCoin 將暫停 TRX 充值和提現以支持 TRON 網絡升級", "deposit_withdrawal"),
        ("币安合约将调整多个 U 本位永续合约的杠杆和保证金阶梯", "trading_rules"),
        ("币安 HODLer 空投：Sophon (SOPH)", "airdrop"),
        ("Gate Launchpool 上线 SOPH：质押 GT 或 SOPH 赚取 SOPH", "airdrop"),
        ("Gate 合约交易嘉年华：瓜分 200,000 USDT 奖池", "promotion"),
        ("Bybit 上线全新跟单交易功能", "product"),
        ("谨防假冒币安 App 的安全提示", "security"),
        ("韩国金融委员会公布稳定币立法草案", "regulation"),
        ("以太坊突破 4000 美元，24 小时涨幅超 6%", "market_news"),
        ("KuCoin 聖誕節客服服務時間調整通知", "other"),
        ("Notice on New Trading Pairs & Trading Bots Services on Binance Spot", "listing"),
        ("Binance Futures Will Launch USDⓈ-M BSUUSDT Perpetual Contract With Up to 20x Leverage",
         "listing"),
        ("OKX to list perpetual futures for ZORA", "listing"),
        ("KuCoin Futures Has Launched the AVNTUSDT Perpetual Contract", "listing"),
        ("Bybit Will Add SAHARA/USDT to Spot Trading", "listing"),
        ("Binance Will Remove FIL/BTC and ROSE/BNB Spot Trading Pairs", "delisting"),
        ("Bitget Will Suspend SOL Deposits and Withdrawals for the Solana Network Upgrade",
         "deposit_withdrawal"),
        ("SEC Approves Generic Listing Standards for Crypto ETPs", "regulation"),
        ("Kraken Launches Tokenized US Stocks for Clients in Europe", "product"),
        # "ı" is an "i" to the case-insensitive rules ("licen[cs]e") but folds to itself.
        ("Exchange obtains a lıcence in Dubai", "regulation"),
    ],
)  # fmt: skip
def test_titles(title: str, category: str) -> None:
    assert category_from_title(title) == category


def test_every_ordered_category_is_in_the_taxonomy() -> None:
    assert set(CATEGORY_ORDER) == set(TAXONOMY) - {"other"}


def test_the_body_decides_only_when_the_title_is_silent() -> None:
    body = "亲爱的币安用户：\n\n币安将于 2026-12-15 19:00（东八区时间）下架 CLV、STRAX 和 SNT。"
    assert category_from_text("重要通知", body) == "delisting"
    assert category_from_text("Gate 关于钱包系统维护的公告", body) == "maintenance"
    assert category_from_text(None, None) == "other"


def test_the_body_is_read_in_its_opening_only() -> None:
    """A risk warning at the end ("市场风险") says nothing about what the notice is."""
    body = "客服将照常提供服务。\n\n感谢您的支持！\n\n风险提示：数字资产价格受市场风险影响。"
    assert category_from_text("客服时间通知", body) == "other"


def test_enrich_fills_a_category_from_the_body_but_keeps_the_sources() -> None:
    fields = {
        "article_id": "a",
        "source": "gate_announcements",
        "exchange": "gate",
        "native_id": "1",
        "url": "https://www.gate.com/zh/announcements/article/1",
        "fetched_at": datetime(2026, 12, 1, tzinfo=UTC),
        "raw_ref": "r",
        "title": "重要通知",
        "body_text": "Gate 将于 2026 年 12 月 2 日 12:30 (UTC+8) 上线 YZY MONEY (YZY) 现货交易。",
    }
    assert enrich(Article(**fields, category="other")).category == "listing"
    assert enrich(Article(**fields, category=None)).category == "listing"
    assert enrich(Article(**fields, category="promotion")).category == "promotion"


def test_a_title_is_read_up_to_its_reach() -> None:
    """A "title" that is a whole text on one line is read only in its opening, so patterns
    with a clause between two words stay linear on it."""
    assert category_from_title("Binance Will Delist FOO") == "delisting"
    assert category_from_title("x" * TITLE_CHARS + " Binance Will Delist FOO") == "other"
