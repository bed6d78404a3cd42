from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from transform.enrich.symbols import find_symbols
from transform.extract.markup import MarkupError, RenderedBody
from transform.sources.binance import render_body

CAPTURES = Path("/work/shared/reference/captures/binance")
DISCLAIMER = (
    "This is a general Binance Exchange Notice. Products and services referred to here may "
    "not be available in your region."
)


def txt(text: str) -> dict[str, Any]:
    return {"node": "text", "text": text}


def el(tag: str, *children: dict[str, Any], **attr: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"node": "element", "tag": tag, "child": list(children)}
    if attr:
        node["attr"] = attr
    return node


def body(*children: dict[str, Any]) -> str:
    return json.dumps({"node": "root", "child": list(children)})


def test_paragraphs_inline_marks_whitespace_and_disclaimer() -> None:
    rendered = render_body(
        body(
            txt("\n"),
            el("em", txt(DISCLAIMER)),
            txt("\n"),
            el("p", el("strong", txt("Fellow Binancians,"))),
            txt("\n \n"),
            el(
                "p",
                el("span", txt("Binance   will\nlist "), style=["color:", "rgb(0,", "0,", "0)"]),
                el("em", txt("Foo Token ")),
                txt("and "),
                el("code", txt("foo_bar")),
                txt(" today."),
            ),
            txt("\n"),
        )
    )
    assert rendered == RenderedBody(
        text="Fellow Binancians,\n\nBinance will list Foo Token and foo_bar today.",
        markdown="**Fellow Binancians,**\n\nBinance will list *Foo Token* and `foo_bar` today.",
    )


def test_disclaimer_inside_paragraph_is_dropped_only_when_leading() -> None:
    rendered = render_body(
        body(
            el("p", el("em", el("span", txt("THIS IS A GENERAL announcement. Terms apply.")))),
            el("p", txt("Body.")),
            el("p", txt("This is a general remark that stays.")),
        )
    )
    assert rendered.text == "Body.\n\nThis is a general remark that stays."


def test_nested_unordered_and_ordered_lists() -> None:
    rendered = render_body(
        body(
            el(
                "ul",
                txt("\n\n"),
                el("li", el("p", txt("First")), el("ul", el("li", txt("Nested")))),
                txt("\n"),
                el("li", txt("Second "), el("b", txt("bold"))),
            ),
            el("ol", el("li", txt("One")), el("li", txt("Two"), el("ol", el("li", txt("Deep"))))),
        )
    )
    assert rendered.text == "First\nNested\nSecond bold\n\nOne\nTwo\nDeep"
    assert rendered.markdown == (
        "- First\n  - Nested\n- Second **bold**\n\n1. One\n2. Two\n   1. Deep"
    )


def test_table_first_row_is_header() -> None:
    rendered = render_body(
        body(
            el(
                "table",
                el("thead", el("tr", el("th", txt("Pair")), el("th", txt("Time")))),
                el(
                    "tbody",
                    el("tr", el("td", el("p", txt("ABC/USDT"))), el("td", txt("a|b"))),
                    el("tr", el("td", txt("XYZ/BTC"))),
                ),
            )
        )
    )
    assert rendered.text == "Pair\tTime\nABC/USDT\ta|b\nXYZ/BTC"
    assert rendered.markdown == (
        "| Pair | Time |\n| --- | --- |\n| ABC/USDT | a\\|b |\n| XYZ/BTC |  |"
    )


def test_links_headings_breaks_images_rules_and_entities() -> None:
    rendered = render_body(
        body(
            el("h1", txt("Title")),
            el("h3", el("strong", txt("Please Note:"))),
            el(
                "p",
                txt("See "),
                el("a", txt("the guide "), href="https://example.com/g"),
                txt("and "),
                el("a", txt("this")),
                el("img", src="https://example.com/i.png"),
                el("br"),
                txt("Terms &amp; Conditions&nbsp;apply."),
            ),
            el("hr"),
            el("pre", txt("line 1\n  line 2")),
        )
    )
    assert rendered.text == (
        "Title\n\nPlease Note:\n\nSee the guide and this\nTerms & Conditions apply."
        "\n\nline 1\n  line 2"
    )
    assert rendered.markdown == (
        "## Title\n\n### **Please Note:**\n\n"
        "See [the guide](https://example.com/g) and this\nTerms & Conditions apply."
        "\n\n---\n\n```\nline 1\n  line 2\n```"
    )


def test_unknown_node_kinds_are_skipped_and_result_is_frozen() -> None:
    rendered = render_body(body({"node": "comment", "text": "x"}, el("p", txt("Kept"))))
    assert rendered.text == rendered.markdown == "Kept"
    with pytest.raises(dataclasses.FrozenInstanceError):
        rendered.text = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "no root node"),
        ('{"node": "element", "tag": "p", "child": []}', "no root node"),
        ('{"node": "root", "child": {"node": "text"}}', "not a list of nodes"),
        ('{"node": "root", "child": ["text"]}', "not a list of nodes"),
        (body(el("p", {"node": "text", "text": 3})), "string text"),
        (body(txt("\n"), el("p", txt("  ")), el("img")), "empty body"),
        (body(el("p", el("em", txt(DISCLAIMER)))), "empty body"),
    ],
)
def test_malformed_bodies_raise(raw: str, message: str) -> None:
    with pytest.raises(MarkupError, match=message) as caught:
        render_body(raw)
    assert isinstance(caught.value, ValueError)


def _capture(code: str) -> tuple[dict[str, Any], RenderedBody]:
    path = CAPTURES / f"detail-{code}.json"
    if not path.exists():
        pytest.skip(f"reference capture {path} not available")
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    return data, render_body(data["body"])


def _elements(node: dict[str, Any], tag: str) -> list[dict[str, Any]]:
    found = [node] if node.get("tag") == tag else []
    for child in node.get("child", []):
        found += _elements(child, tag)
    return found


@pytest.mark.parametrize(
    "code", ["23504a5454d545998414c9ad3e8832f3", "7d17add1ffe6416391f65a001734e1c7"]
)
def test_real_captures_render_cleanly(code: str) -> None:
    data, rendered = _capture(code)
    tree = json.loads(data["body"])
    assert not rendered.text.lower().startswith("this is a general")
    assert not rendered.markdown.lower().startswith("this is a general")
    assert not re.search(r"&\w+;", rendered.text)
    assert rendered.text == rendered.text.strip()
    assert not any(line.startswith("- ") for line in rendered.text.splitlines())
    for link in _elements(tree, "a"):
        anchor = "".join(child["text"] for child in link["child"])
        assert f"[{anchor}]({link['attr']['href']})" in rendered.markdown
    items = [line for line in rendered.markdown.splitlines() if re.match(r" *- ", line)]
    assert len(items) == len(_elements(tree, "li"))


def test_real_capture_spot_pairs() -> None:
    data, rendered = _capture("23504a5454d545998414c9ad3e8832f3")
    assert "QNT/BTC, RPL/USDC, SIGN/BNB and SKL/USDC" in rendered.text
    symbols = find_symbols(f"{data['title']}\n{rendered.text}")
    assert symbols.pairs == ("QNT/BTC", "RPL/USDC", "SIGN/BNB", "SKL/USDC")


def test_real_capture_fiat_pair() -> None:
    data, rendered = _capture("7d17add1ffe6416391f65a001734e1c7")
    assert "USDT/UAH" in find_symbols(f"{data['title']}\n{rendered.text}").pairs
    assert "  - " in rendered.markdown  # the nested list item under the delisting bullet
