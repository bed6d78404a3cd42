"""The per-language rules tables: every bundled table loads, and a malformed one fails with
its file's name rather than classifying nothing."""

from __future__ import annotations

import re

import pytest

from transform.enrich.category import CATEGORY_ORDER
from transform.enrich.rules import RulesError, language_rules, read_table


def test_the_bundled_tables() -> None:
    tables = {table.language: table for table in language_rules()}
    assert {"en", "zh-Hans", "zh-Hant"} <= set(tables)
    for table in tables.values():
        assert set(table.categories) == set(CATEGORY_ORDER), table.language
        for patterns in table.categories.values():
            for pattern in patterns:
                re.compile(pattern)
    assert set(tables["zh-Hans"].topics) <= set(tables["en"].topics)
    assert set(tables["zh-Hant"].topics) <= set(tables["en"].topics)


def test_a_table_reads_its_lists() -> None:
    table = read_table(
        "ja.toml",
        'language = "ja"\nmatch = "text"\n[categories]\nlisting = ["上場"]\n'
        '[topics]\nairdrop = ["エアドロップ"]\n',
    )
    assert (table.language, table.match) == ("ja", "text")
    assert table.categories == {"listing": ("上場",)}
    assert table.topics == {"airdrop": ("エアドロップ",)}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('language = "ja"\n', "match must be"),
        ('match = "regex"\n', "match must be"),
        ('match = "text"\n[categories]\nlisting = "上場"\n', "lists of strings"),
        ('match = "text"\n[topics]\nairdrop = [1]\n', "lists of strings"),
    ],
)
def test_a_malformed_table_names_its_file(text: str, error: str) -> None:
    with pytest.raises(RulesError, match=f"ja.toml: .*{error}"):
        read_table("ja.toml", text)
