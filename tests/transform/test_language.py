"""Language detection on what exchanges publish: short crypto titles, mixed tickers, CJK."""

from __future__ import annotations

from pathlib import Path

import pytest

from transform.extract.language import LANGUAGES, detect_language

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "gate_square" / "seed-post.txt"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # short crypto English: restricted, and English when py3langid is unsure
        ("Binance Will List Kite (KITE)", "en"),
        ("Latest Bybit News", "en"),  # py3langid guesses Polish at p=0.36
        ("BTC/USDT Perpetual", "en"),
        ("Binance Will Delist KP3R, REEF on 2026-10-20", "en"),
        ("BINANCE WILL LIST KITE FOR SPOT TRADING", "en"),
        ("Time to eat! Ministry of Finance!", "en"),
        # Chinese, simplified and traditional, with tickers in it
        ("币安将上线 Kite (KITE)", "zh"),
        ("Gate 将上线 Arcadia Compute (ARCD) 现货交易", "zh"),
        ("幣安將上線 Kite 代幣", "zh"),
        ("上线", "zh"),
        ("ビットコインが上昇", "ja"),
        ("비트코인 상장 안내", "ko"),
        ("บิทคอยน์ทำสถิติใหม่", "th"),
        ("بيتكوين يصل إلى مستوى قياسي", "ar"),
        ("Биткоин обновил максимум", "ru"),
        ("Біткоїн оновив максимум", "uk"),
        ("Bitcoin alcanza un nuevo máximo", "es"),
        ("Bitcoin atinge nova máxima", "pt"),
        ("Le bitcoin atteint un nouveau record", "fr"),
        ("Bitcoin erreicht neues Allzeithoch", "de"),
        ("Bitcoin yeni zirveye ulaştı", "tr"),
        ("Bitcoin đạt mức cao mới", "vi"),
        ("Bitcoin mencapai rekor baru", "id"),
        ("Bitcoin raggiunge un nuovo massimo", "it"),
        ("Bitcoin osiąga nowy rekord", "pl"),
    ],
)
def test_detects(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "BTC", "BTC/USDT", "USDT 100", "2026-09-07", "币"])
def test_too_short_is_none(text: str) -> None:
    """Tickers, numbers and one character say nothing about a language."""
    assert detect_language(text) is None


def test_long_post_and_mixed_text() -> None:
    assert detect_language(SEED.read_text(encoding="utf-8")) == "en"
    mixed = "比特币 BTC 突破 100,000 USDT，ETH/USDT 和 SOL/USDT 同步上涨，市场情绪转好。"
    assert detect_language(mixed) == "zh"


def test_answers_only_languages_in_the_set() -> None:
    samples = ["Dit is een Nederlandse zin over bitcoin en de markt", "Lorem ipsum dolor sit amet"]
    assert {detect_language(text) for text in samples} <= set(LANGUAGES)
