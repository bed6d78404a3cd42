"""Binance announcement CMS: list pages give partial articles, detail pages full ones."""

from __future__ import annotations

from typing import Any

from transform.enrich.category import category_from_title
from transform.enrich.symbols import field_symbols
from transform.extract.dates import parse_datetime
from transform.extract.markup import MarkupError, RenderedBody, render_tree
from transform.limits import LimitError, load_json
from transform.model import Article, Page, PayloadError, parse_by_kind

SOURCE = "binance"
LANGUAGE = "en"
DISCLAIMER = "This is a general"
ARTICLE_URL = "https://www.binance.com/en/support/announcement/detail/{code}"

# catalogId -> our taxonomy; None lets the title rules decide.
CATEGORY_BY_CATALOG: dict[int, str | None] = {
    48: "listing",
    49: None,
    50: "listing",
    51: "trading_rules",
    93: "promotion",
    128: "airdrop",
    157: "maintenance",
    161: "delisting",
}


def render_body(body: str) -> RenderedBody:
    """Both renderings of ``data.body``, minus Binance's leading regional disclaimer."""
    try:
        tree = load_json(body, "body")
    except LimitError:
        raise
    except ValueError as error:
        raise MarkupError(f"body is not JSON: {error}") from error
    return render_tree(tree, drop_leading=DISCLAIMER)


def _data(page: Page) -> Any:
    try:
        payload = page.json()
    except ValueError as error:
        raise PayloadError(f"not JSON: {error}") from error
    if not isinstance(payload, dict) or payload.get("code") != "000000":
        code = payload.get("code") if isinstance(payload, dict) else None
        message = payload.get("message") if isinstance(payload, dict) else None
        raise PayloadError(f"Binance API answered code {code!r}: {message or 'no data'}")
    return payload.get("data")


def _article(
    page: Page,
    code: str,
    title: str,
    released_ms: int | None,
    catalog: tuple[int | None, str | None],
) -> Article:
    catalog_id, catalog_name = catalog
    category = CATEGORY_BY_CATALOG.get(catalog_id) if catalog_id is not None else None
    return Article.from_page(
        page,
        native_id=code,
        url=ARTICLE_URL.format(code=code),
        language=LANGUAGE,
        title=title.strip(),
        exchange="binance",
        feed="announcements",
        published_at=parse_datetime(released_ms),
        category=category or category_from_title(title),
        source_categories=[catalog_name] if catalog_name else [],
        translated=False,
    )


def parse_list(page: Page) -> list[Article]:
    """Every entry of a catalog page, as a partial article (title and time only)."""
    data = _data(page)
    try:
        catalogs = data["catalogs"]
    except (TypeError, KeyError) as error:
        raise PayloadError("list payload has no data.catalogs") from error
    articles = []
    for catalog in catalogs:
        for entry in catalog.get("articles") or []:
            article = _article(
                page,
                entry["code"],
                entry["title"],
                entry.get("releaseDate"),
                (catalog.get("catalogId"), catalog.get("catalogName")),
            )
            article.partial = True
            articles.append(article)
    return articles


def parse_detail(page: Page) -> Article:
    """One article with its body; the catalog comes from the detail itself."""
    data = _data(page)
    if not isinstance(data, dict) or not data.get("code") or not data.get("title"):
        raise PayloadError("detail payload lacks data.code or data.title")
    if not isinstance(data.get("body"), str):
        raise PayloadError("detail payload has no body string")
    rendered = render_body(data["body"])
    article = _article(
        page,
        data["code"],
        data["title"],
        data.get("publishDate"),
        (data.get("firstCatalogId"), data.get("firstCatalogName")),
    )
    symbols = field_symbols(article.title, rendered.text)
    article.body_text = rendered.text
    article.body_markdown = rendered.markdown
    article.coins = list(symbols.coins)
    article.pairs = list(symbols.pairs)
    return article


def parse(page: Page) -> list[Article]:
    return parse_by_kind(page, parse_list, parse_detail)
