"""SimHash fingerprints on the Binance fixtures: the threshold between one story and two.

The numbers in the module docstring of transform.enrich.fingerprint come from these tests.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest

from transform.enrich.fingerprint import (
    SAME_STORY_DISTANCE,
    fingerprint,
    hamming,
    same_story,
    story_key,
)
from transform.extract.markup import MarkupError
from transform.sources.binance import render_body

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "binance"


def binance_bodies() -> dict[str, str]:
    """Title -> body text of every readable Binance detail fixture."""
    bodies = {}
    for path in sorted(FIXTURES.glob("detail-*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
        try:
            bodies[data["title"]] = render_body(data["body"]).text
        except MarkupError:
            continue  # the fixture set's deliberately broken payload
    return bodies


BODIES = binance_bodies()
NOTICE = BODIES["Notice of Removal of Spot Trading Pairs - 2026-09-04"]

# One announcement as two exchanges would carry it: the project's text, their own wrapper.
CORE = """Velanto will migrate its token from the Ethereum network to its own mainnet. The token \
swap will be carried out at a ratio of 1 VLNT (ERC-20) to 1 VLNT (mainnet) at block height \
4,812,000, expected around 2026-10-14 08:00 (UTC).

Deposits and withdrawals of VLNT will be suspended from 2026-10-14 06:00 (UTC) until the new \
network is stable. Trading of VLNT/USDT and VLNT/BTC will not be affected during the swap.

Users holding VLNT on the exchange do not need to take any action: all technical requirements \
will be handled for them, and balances will be credited 1:1 after the migration."""
BINANCE_COPY = f"""Fellow Binancians,

{CORE}

This announcement may be translated into other languages. If a translated version differs from \
the original English version, the English version shall prevail.

Thank you for your support!

Binance Team

2026-10-10"""
KUCOIN_COPY = f"""Dear KuCoin Users,

{CORE}

Risk Warning:

Digital asset prices are subject to high market risk and price volatility. Please make sure you \
fully understand the risks involved and invest within your means. KuCoin is not responsible for \
any losses caused by your own investment decisions.

Thanks for your support!
The KuCoin Team"""


def test_format_and_determinism() -> None:
    assert fingerprint("Binance Will List Kite (KITE)") == "c525e4eab15ccd84"
    assert fingerprint(NOTICE) == fingerprint(NOTICE)
    assert re.fullmatch(r"[0-9a-f]{16}", fingerprint(NOTICE))
    assert fingerprint("") == "0000000000000000"


def test_case_whitespace_and_punctuation_change_nothing() -> None:
    variants = [
        NOTICE.upper(),
        NOTICE.lower(),
        re.sub(r"\s+", "  ", NOTICE),
        re.sub(r"[,.!:]", "", NOTICE),
        NOTICE.replace(",", " ,").replace("'", "’"),
    ]
    assert [hamming(fingerprint(NOTICE), fingerprint(text)) for text in variants] == [0] * 5


def light_edits(text: str) -> dict[str, str]:
    words = text.split(" ")
    middle = len(words) // 2
    while any(char.isdigit() for char in words[middle]):
        middle += 1  # a typo, not another date
    return {
        "typo": " ".join([*words[:middle], words[middle] + "x", *words[middle + 1 :]]),
        "added sentence": text + "\nPlease note that this announcement has been updated.",
        "dropped paragraph": "\n\n".join(text.split("\n\n")[1:]),
        "other greeting and footer": text.replace("Fellow Binancians,", "Dear Valued Users,")
        .replace("Binance Team", "The Team")
        .replace(
            "Thank you for your support!",
            "Risk warning: crypto is volatile. Trade responsibly and within your means.",
        ),
    }


def test_light_edits_are_the_same_story() -> None:
    """Every readable Binance body under four light edits: at most 6 bits (threshold 10)."""
    pairs = [
        (fingerprint(body), fingerprint(edited))
        for body in BODIES.values()
        for edited in light_edits(body).values()
    ]
    assert len(pairs) == 4 * len(BODIES) == 160
    assert max(hamming(a, b) for a, b in pairs) == 6
    assert all(same_story(a, b) for a, b in pairs)


def test_one_announcement_under_two_exchanges_boilerplate() -> None:
    binance, kucoin = fingerprint(BINANCE_COPY), fingerprint(KUCOIN_COPY)
    assert hamming(binance, kucoin) == 4
    assert same_story(binance, kucoin)


@pytest.mark.parametrize(
    ("template", "closest"),
    [
        ("Notice of Removal of Spot Trading Pairs", 22),
        ("Binance Futures Will Delist USDⓈ-M", 15),
        ("Binance Will Delist", 24),
    ],
)
def test_notices_of_one_template_are_different_stories(template: str, closest: int) -> None:
    """Same words, other pairs and dates: never the same story."""
    bodies = [body for title, body in BODIES.items() if title.startswith(template)]
    assert len(bodies) >= 5
    distances = [
        hamming(fingerprint(a), fingerprint(b)) for a, b in itertools.combinations(bodies, 2)
    ]
    assert min(distances) == closest
    assert not any(
        same_story(fingerprint(a), fingerprint(b)) for a, b in itertools.combinations(bodies, 2)
    )


def test_translations_are_not_found() -> None:
    """The documented limit: per language only (they share only numbers and pairs)."""
    english = (
        "Binance will support the Velanto (VLNT) mainnet token migration on 2026-10-14 08:00 "
        "(UTC). Deposits and withdrawals of VLNT will be suspended during the migration; "
        "trading of VLNT/USDT will not be affected. Users do not need to take any action; "
        "Binance will handle all technical requirements for users."
    )
    chinese = (
        "币安将于2026-10-14 08:00 (UTC)支持 Velanto (VLNT) 主网代币迁移。迁移期间 VLNT 的充值和"
        "提现将暂停，VLNT/USDT 交易不受影响。用户无需进行任何操作，币安将为用户处理所有技术要求。"
    )
    edited = chinese.replace("用户无需进行任何操作", "用户无需采取任何行动")
    assert hamming(fingerprint(chinese), fingerprint(edited)) == 3  # character shingles
    assert hamming(fingerprint(chinese), fingerprint(english)) == 14
    assert not same_story(fingerprint(chinese), fingerprint(english))


def test_hamming() -> None:
    assert hamming("0000000000000000", "ffffffffffffffff") == 64
    assert hamming("0000000000000000", "0000000000000003") == 2
    assert hamming("cd28800d54cdc19e", "cd28800d54cdc19e") == 0


def test_story_keys() -> None:
    assert story_key("0123456789abcdef") == [
        "0:01", "1:23", "2:45", "3:67", "4:89", "5:ab", "6:cd", "7:ef",
    ]  # fmt: skip
    assert story_key("0123456789abcdef", bands=4) == ["0:0123", "1:4567", "2:89ab", "3:cdef"]
    with pytest.raises(ValueError, match="bands"):
        story_key("0123456789abcdef", bands=3)


def test_story_keys_find_every_light_edit_and_the_copies() -> None:
    """Within 7 bits a shared band key is certain; the measured same-story pairs have one."""
    pairs = [(BINANCE_COPY, KUCOIN_COPY)] + [
        (body, edited) for body in BODIES.values() for edited in light_edits(body).values()
    ]
    for a, b in pairs:
        assert set(story_key(fingerprint(a))) & set(story_key(fingerprint(b)))


def test_threshold_is_between_the_measurements() -> None:
    assert 6 < SAME_STORY_DISTANCE < 15
