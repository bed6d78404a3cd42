"""Topics of an article from a fixed keyword set, in English and Chinese.

Unlike the single category (what kind of notice this is), an article has any number of
topics (what it is about): a delisting notice can also be about sanctions. A topic is
given only when one of its keywords appears as a word, so "ETF" needs "ETF"/"ETFs" or
"exchange-traded fund" (never "NETFLIX" or the ticker in "NFT/USDT"), and "hack" is not
in "hackathon". Keywords are case-insensitive except upper-case abbreviations (OFAC,
CBDC), which must be written in capitals.

Topics: airdrop, bankruptcy, cbdc, defi, delisting, enforcement, etf, exploit, fraud,
gambling, hack, lawsuit, listing, mining, money_laundering, nft, phishing, regulation,
rwa, sanctions, scam, stablecoin, staking, tax.
"""

from __future__ import annotations

import re
from functools import cache

# English keywords are regexes matched between letter/digit boundaries; Chinese ones are
# plain substrings. Abbreviations in capitals are matched case-sensitively.
_KEYWORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "airdrop": ((r"air[- ]?drops?", r"airdropp(?:ed|ing)"), ("空投",)),
    "bankruptcy": (
        (r"bankrupt(?:cy|cies)?", r"chapter 11", r"insolven(?:t|cy)", "receivership"),
        ("破产", "破產"),
    ),
    "cbdc": (
        ("CBDCs?", r"central bank digital currenc(?:y|ies)", "digital euro", "e-CNY"),
        ("数字人民币", "數字人民幣", "央行数字货币", "央行數位貨幣"),
    ),
    "defi": (("DeFi", "DEFI", r"decentrali[sz]ed finance"), ("去中心化金融",)),
    "delisting": (
        (r"delist(?:s|ed|ing|ings)?", r"removal of (?:spot )?trading pairs?", "cease trading"),
        ("下架", "下线交易对", "下線交易對"),
    ),
    "enforcement": (
        (
            r"crack(?:s|ed|ing)? ?down",
            "crackdown",
            r"enforcement actions?",
            r"law enforcement",
            r"arrest(?:s|ed|ing)?",
            r"seiz(?:ed|ure|ures)",
            r"blacklist(?:s|ed|ing)?",
            r"asset freezes?",
            r"indict(?:s|ed|ment|ments)?",
            r"prosecut(?:e|es|ed|ion|ions|or|ors)",
            r"extradit(?:e|ed|ion)",
            r"raid(?:s|ed)?",
            r"criminal charges?",
        ),
        ("打击", "打擊", "逮捕", "查封", "扣押", "执法", "執法", "抓捕", "严打", "嚴打"),
    ),
    "etf": (("ETFs?", "ETPs?", r"exchange[- ]traded (?:funds?|products?)"), ()),
    "exploit": (
        (
            r"exploit(?:s|ed|er|ers)?",
            r"vulnerabilit(?:y|ies)",
            r"flash[- ]loan attacks?",
            r"re-?entrancy",
            r"(?:smart contract|protocol) (?:bug|flaw)s?",
        ),
        ("漏洞", "闪电贷攻击", "閃電貸攻擊"),
    ),
    "fraud": (
        (r"fraud(?:s|ulent|ster|sters)?", r"defraud(?:s|ed|ing)?", r"ponzi", r"embezzl\w*"),
        ("诈骗", "詐騙", "欺诈", "欺詐", "电诈", "電詐", "庞氏", "龐氏"),
    ),
    "gambling": ((r"gambling", r"casinos?"), ("赌博", "賭博", "博彩", "赌场", "賭場")),
    "hack": (
        (
            r"hack(?:s|ed|er|ers|ing)?",
            r"(?:security|data) breach(?:es)?",
            r"stolen (?:funds|assets|crypto)",
            r"drain(?:ed|er|ers)",
            "Lazarus",
        ),
        ("黑客", "駭客", "被盗", "被盜", "盗币", "被黑"),
    ),
    "lawsuit": (
        (
            r"lawsuits?",
            r"sue[sd]?",
            r"suing",
            r"class[- ]action",
            r"litigation",
            r"court ruling",
            r"settle(?:s|d)? (?:with|charges)",
        ),
        ("诉讼", "訴訟", "起诉", "起訴"),
    ),
    "listing": (
        (
            r"will (?:list|add)",
            r"new listings?",
            r"listings?",
            r"opens? trading",
            r"launchpool",
            r"trading (?:starts|opens|will open)",
        ),
        (
            "上币",
            "上幣",
            "新币上线",
            "新幣上線",
            "上线交易对",
            "上線交易對",
            "开放交易",
            "開放交易",
        ),
    ),
    "mining": (
        (r"mining", r"miners?", r"hash ?rate", r"halving"),
        ("挖矿", "挖礦", "矿工", "礦工", "算力"),
    ),
    "money_laundering": (
        (r"money[- ]laundering", r"launder(?:s|ed|ing)?", "mixer", "Tornado Cash"),
        ("洗钱", "洗錢"),
    ),
    "nft": (("NFTs?", r"non-fungible tokens?"), ("数字藏品", "非同质化")),
    "phishing": ((r"phishing", r"scam (?:links?|sites?|emails?)"), ("钓鱼", "釣魚")),
    "regulation": (
        (
            r"regulat(?:e|es|ed|ion|ions|or|ors|ory)",
            "MiCA",
            r"licen[cs](?:e|es|ed|ing)",
            r"legislation",
            r"compliance",
            r"(?:bill|framework) (?:on|for) (?:crypto|digital assets|stablecoins)",
        ),
        ("监管", "監管", "合规", "合規", "牌照", "立法"),
    ),
    "rwa": (
        ("RWAs?", r"real[- ]world assets?", r"tokeni[sz](?:ation|ed)"),
        ("现实世界资产", "代币化"),
    ),
    "sanctions": (
        (r"sanction(?:s|ed|ing)?", "OFAC", "SDN list"),
        ("制裁",),
    ),
    "scam": (
        (
            r"scam(?:s|mer|mers|med|ming)?",
            r"pig[- ]butchering",
            r"rug[- ]?pull(?:s|ed)?",
        ),
        ("骗局", "騙局", "杀猪盘", "殺豬盤", "诈骗园区", "跑路"),
    ),
    "stablecoin": (
        (r"stable ?coins?", "GENIUS Act"),
        ("稳定币", "穩定幣"),
    ),
    "staking": ((r"staking", r"staked", r"restaking", r"liquid staking"), ("质押", "質押")),
    "tax": ((r"tax(?:es|ed|ation|ing|able)?",), ("税", "稅")),
}
# Word boundaries that also keep tickers out: "NFT/USDT" and "USDT/NFT" name no NFT.
_BEFORE = r"(?<![A-Za-z0-9])(?<![A-Z0-9][/_-])"
_AFTER = r"(?![A-Za-z0-9]|[/_-][A-Z0-9]{2})"


@cache
def _patterns() -> dict[str, tuple[re.Pattern[str], tuple[str, ...]]]:
    """Topic -> one pattern of all its keywords, and the literals one of which any match
    contains (casefolded), or none when a keyword starts with no literal."""
    patterns: dict[str, tuple[re.Pattern[str], tuple[str, ...]]] = {}
    for topic, (english, chinese) in _KEYWORDS.items():
        words = [keyword if _is_abbreviation(keyword) else f"(?i:{keyword})" for keyword in english]
        alternatives = [_BEFORE + f"(?:{'|'.join(words)})" + _AFTER] if words else []
        alternatives += [re.escape(keyword) for keyword in chinese]
        stems = [_stem(keyword).casefold() for keyword in (*english, *chinese)]
        patterns[topic] = (re.compile("|".join(alternatives)), () if "" in stems else tuple(stems))
    return patterns


def _stem(keyword: str) -> str:
    """The literal a keyword's matches all start with: "air" of ``air[- ]?drops?``, "CBDC"
    of ``CBDCs?`` (the optional "s" is not part of it)."""
    stem = re.match(r"[^\\\[\](){}?*+|.^$]*", keyword)[0]  # up to the first metacharacter
    if keyword[len(stem) : len(stem) + 1] in ("?", "*", "{"):
        stem = stem[:-1]
    return stem


def _is_abbreviation(keyword: str) -> bool:
    """ETF, CBDCs?, MiCA, DeFi: a keyword with a capital after its first letter."""
    return any(char.isupper() for char in keyword[1:])


def find_topics(title: str | None, body: str | None) -> list[str]:
    """The sorted topics whose keywords appear in the title or the body.

    A topic's pattern only runs when one of its literals is in the text (a substring test,
    far faster than the pattern), so a long text without its words costs little.
    """
    text = f"{title or ''}\n{body or ''}"
    folded = text.casefold()
    return sorted(
        topic
        for topic, (pattern, stems) in _patterns().items()
        if (not stems or any(stem in folded for stem in stems)) and pattern.search(text)
    )
