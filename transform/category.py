"""One category per article from a fixed taxonomy: the source's own label first, then rules.

Taxonomy (see README): listing, delisting, maintenance, deposit_withdrawal, trading_rules,
product, promotion, airdrop, security, regulation, market_news, other.
"""

from __future__ import annotations

import re

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

# Ordered: the first rule whose pattern matches the title wins.
_TITLE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (category, re.compile(pattern, re.IGNORECASE))
    for category, pattern in (
        ("delisting", r"\bdelist|\bremoval of\b.*\bpairs?\b|\bcease trading\b"),
        (
            "listing",
            r"\bwill (?:list|add|launch)\b.*(?:\bpairs?\b|\btokens?\b|\([A-Z0-9]{2,}\))"
            r"|\blisting\b",
        ),
        ("maintenance", r"\bmaintenance\b|\bupgrade\b|\bhard fork\b"),
        ("deposit_withdrawal", r"\bdeposits?\b|\bwithdrawals?\b|充值|提现|提現"),
        ("airdrop", r"\bairdrop|\bhodler\b"),
        (
            "trading_rules",
            r"\bleverage\b|\bmargin\b|\btick size\b|\bprice limit|\brules?\b"
            r"|\bapi (?:update|change|upgrade)s?\b",
        ),
        (
            "security",
            r"\bsecurity\b|\bphishing\b|\bhack|\bexploit|\battack|\bstolen\b|\bdrain"
            r"|\bsim swap|盗|攻击|漏洞",
        ),
        (
            "regulation",
            r"\bregulat|\blicen[cs]e|\bcompliance\b|\bsanction|\bfraud|\bscams?\b"
            r"|\bcrackdown|\bmoney laundering|\bsec\b|\bofac\b|\bfinancial services agency"
            r"|\bregulator|诈骗|洗钱|监管|证监会|证监|金管局|牌照",
        ),
        (
            "promotion",
            r"\bcampaign\b|\bpromotion\b|\bcompetition\b|\brewards?\b|\bwin\b|\bgiveaway",
        ),
        ("product", r"\blaunch|\bintroduc|\bnew feature|\bnow available\b|\bsupport"),
        (
            "market_news",
            r"\bmarkets?\b|\bprices?\b|\bcpi\b|\brally|\bopen interest|\bflows?\b"
            r"|\breclaim|\$\d|行情|市场|CPI",
        ),
    )
)


def category_from_title(title: str | None) -> str:
    """Rules on the title, for sources whose own label does not decide."""
    for category, pattern in _TITLE_RULES:
        if title and pattern.search(title):
            return category
    return "other"
