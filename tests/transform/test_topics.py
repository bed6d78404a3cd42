from __future__ import annotations

from pathlib import Path

import pytest

from transform.enrich.topics import find_topics, literal_stems

SEED = Path("/work/shared/seed/gate-square-post.txt")


def test_the_seed_post() -> None:
    if not SEED.exists():
        pytest.skip(f"{SEED} is not here")
    lines = [line for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    body = "\n\n".join(lines[:6])
    assert find_topics("", body) == ["enforcement", "fraud", "gambling", "money_laundering", "scam"]


@pytest.mark.parametrize(
    ("title", "body", "topics"),
    [
        ("Binance Will List Pudgy Penguins (PENGU) with Seed Tag Applied", "", ["listing"]),
        ("Binance Will Delist ANT, MULTI, VAI, XMR on 2024-02-20", "", ["delisting"]),
        (
            "Notice of Removal of Spot Trading Pairs - 2026-10-02",
            "Binance will cease trading on the pairs below.",
            ["delisting"],
        ),
        ("SEC approves 11 spot Bitcoin ETFs", "BlackRock's fund leads inflows.", ["etf"]),
        ("Hong Kong approves exchange-traded funds for ETH", "", ["etf"]),
        ("Bybit hacked", "About $1.5B in ETH was stolen by hackers tied to Lazarus.", ["hack"]),
        (
            "Lending protocol exploited",
            "A flash loan attack abused a vulnerability in the oracle.",
            ["exploit"],
        ),
        (
            "OFAC sanctions Tornado Cash",
            "Treasury says the mixer laundered over $7 billion.",
            ["money_laundering", "sanctions"],
        ),
        ("Tether blacklists addresses linked to arrests", "", ["enforcement"]),
        (
            "EU's MiCA rules for stablecoins take effect",
            "Issuers need a licence from a national regulator.",
            ["regulation", "stablecoin"],
        ),
        (
            "Binance HODLer Airdrops: PENGU",
            "Eligible users will receive airdropped tokens.",
            ["airdrop"],
        ),
        ("ETH liquid staking rewards rise", "Staked ETH hits a record.", ["staking"]),
        ("DeFi TVL rebounds", "Decentralized finance protocols lead.", ["defi"]),
        ("NFT marketplace volume drops", "Non-fungible token sales fell.", ["nft"]),
        ("China expands e-CNY trials", "The central bank digital currency goes abroad.", ["cbdc"]),
        ("IRS finalises crypto tax forms", "Brokers must report taxable sales.", ["tax"]),
        ("FTX files for Chapter 11 bankruptcy", "", ["bankruptcy"]),
        ("Coinbase sued in class action", "Plaintiffs filed a lawsuit in New York.", ["lawsuit"]),
        ("Bitcoin miners after the halving", "Hashrate hits a new high.", ["mining"]),
        ("Phishing emails target exchange users", "", ["phishing"]),
        ("BlackRock expands tokenization", "Real-world assets on-chain.", ["rwa"]),
        ("Investors lose millions in pig-butchering scam", "", ["scam"]),
        (
            "Founder charged with fraud",
            "Prosecutors say he defrauded investors.",
            [
                "enforcement",
                "fraud",
            ],
        ),
        (
            "美国财政部制裁柬埔寨电诈集团",
            "该集团涉嫌诈骗和洗钱。",
            ["fraud", "money_laundering", "sanctions"],
        ),
        ("币安将上币 PENGU，开放交易", "", ["listing"]),
        ("关于下架部分现货交易对的公告", "", ["delisting"]),
        ("某交易所遭黑客攻击", "约 1 亿美元资产被盗。", ["hack"]),
        ("香港稳定币监管条例生效", "发行人需要申请牌照。", ["regulation", "stablecoin"]),
        ("比特币现货ETF资金流入", "", ["etf"]),
        ("ETH 质押收益上升，空投活动开启", "", ["airdrop", "staking"]),
    ],
)
def test_topics(title: str, body: str, topics: list[str]) -> None:
    assert find_topics(title, body) == topics


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("NETFLIX and ETFUSDT", "The NFT/USDT and USDT/NFT pairs moved."),
        ("Hackathon winners announced", "Builders shipped taxi and syntax tools."),
        ("Traders are betting on rate cuts", "Seize the opportunity: what is at stake?"),
        ("The second quarter report", "Volume rose for the second month."),
        ("New trading competition", "Win a share of rewards."),
    ],
)
def test_no_topic(title: str, body: str) -> None:
    assert find_topics(title, body) == []


def test_listing_and_delisting_are_apart() -> None:
    assert find_topics("Binance Will Delist FOO", "") == ["delisting"]
    assert find_topics("New listing: FOO", "") == ["listing"]
    assert find_topics(None, None) == []


def test_etf_needs_the_word() -> None:
    assert find_topics("Grayscale files for a Solana fund", "") == []
    assert find_topics("Grayscale files for a Solana ETF", "") == ["etf"]
    assert find_topics("etf", "") == []


@pytest.mark.parametrize(
    ("body", "topics"),
    [
        ("A data breach exposed user emails.", ["hack"]),
        ("The SECURITY BREACHES were disclosed.", ["hack"]),
        ("A protocol flaw let an attacker mint tokens.", ["exploit"]),
        ("Parliament passed a framework for stablecoins.", ["regulation", "stablecoin"]),
        ("The data was secure; no breach of terms.", []),
    ],
)
def test_keywords_opening_with_alternatives(body: str, topics: list[str]) -> None:
    """Keywords whose literals are the alternatives of a leading group ("(?:security|data)
    breach") are still found, in any case, and only in their words."""
    assert find_topics("", body) == topics


@pytest.mark.parametrize(
    ("title", "body", "topics"),
    [
        # Casefolding lengthens "ß" and "İ": the offsets of the folded text are not the
        # text's, so the keyword must still be found (by a search, not at folded offsets).
        ("Straße-Börse startet Airdrop", "", ["airdrop"]),
        ("İstanbul", "Exchange hacked, funds stolen in the exploit", ["exploit", "hack"]),
        # Overlapping literals ("air" in "fair"), the keyword further on.
        ("A fair airdrop", "", ["airdrop"]),
        ("Fair trading", "No giveaway here.", []),
    ],
)
def test_keywords_found_wherever_their_literal_starts(
    title: str, body: str, topics: list[str]
) -> None:
    assert find_topics(title, body) == topics


@pytest.mark.parametrize(
    ("keyword", "stems"),
    [
        ("(?:security|data) breach", ("security", "data")),
        ("air[- ]?drops?", ("air",)),
        ("x[|]y", ("x",)),
        # An optional character: the stems with it and without it, the shorter of two where
        # one opens the other.
        ("re-?entrancy", ("re-entrancy", "reentrancy")),
        ("CBDCs?", ("CBDC",)),
        # Alternatives of the whole keyword: no one literal opens every match.
        ("hack|exploit", ("",)),
        (r"\(a|b\)", ("",)),
    ],
)
def test_literal_stems(keyword: str, stems: tuple[str, ...]) -> None:
    assert literal_stems(keyword) == stems


@pytest.mark.parametrize("body", ["A reentrancy bug let them mint", "A Re-Entrancy bug"])
def test_a_keyword_with_an_optional_character_is_found_either_way(body: str) -> None:
    assert find_topics("", body) == ["exploit"]
