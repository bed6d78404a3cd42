"""The per-language tables of category patterns and topic keywords (``<language>.toml``).

Rules are data so that a language is added by writing one table, not by editing code
(docs/languages.md). Every table is read; a text is matched against all of them, since a
title's language is not known where it is classified and scripts rarely share words.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Literal

# "words": English-like text, regexes with word boundaries, case-insensitive.
# "text": text written without spaces (Chinese, Japanese), patterns matched as written.
MatchMode = Literal["words", "text"]


@dataclass(frozen=True)
class LanguageRules:
    """One table: its category patterns (by category) and topic keywords (by topic)."""

    language: str
    match: MatchMode
    categories: dict[str, tuple[str, ...]]
    topics: dict[str, tuple[str, ...]]


class RulesError(ValueError):
    """A rules table names an unknown match mode, category or topic."""


@cache
def language_rules() -> tuple[LanguageRules, ...]:
    """Every bundled table, sorted by file name (so ``en`` comes first)."""
    folder = files("transform.enrich") / "rules"
    tables = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".toml")),
        key=lambda entry: entry.name,
    )
    return tuple(read_table(entry.name, entry.read_text(encoding="utf-8")) for entry in tables)


def read_table(name: str, text: str) -> LanguageRules:
    """One table from its TOML text; raises :class:`RulesError` naming the file when a
    table is malformed (a typo must fail loudly, not silently classify nothing)."""
    data = tomllib.loads(text)
    match = data.get("match")
    if match not in ("words", "text"):
        raise RulesError(f"{name}: match must be 'words' or 'text', not {match!r}")
    return LanguageRules(
        language=str(data.get("language") or name.removesuffix(".toml")),
        match=match,
        categories=_lists(name, data.get("categories", {})),
        topics=_lists(name, data.get("topics", {})),
    )


def _lists(name: str, table: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(table, dict) or not all(
        isinstance(value, list) and all(isinstance(item, str) for item in value)
        for value in table.values()
    ):
        raise RulesError(f"{name}: categories and topics must map names to lists of strings")
    return {key: tuple(value) for key, value in table.items()}
