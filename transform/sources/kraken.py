"""Kraken: blog posts from WordPress REST (whole posts, no detail page) and status incidents."""

from __future__ import annotations

from typing import Any

import lxml.html

from transform.extract.dates import parse_datetime
from transform.extract.markup import RenderedBody, render_html
from transform.model import Article, Page, PayloadError
from transform.sources.feeds import (
    blog_category,
    feed_article,
    feed_of,
    plain_text,
    status_articles,
)

# WordPress blocks and plugins that add calls to action and sharing to a post's content.
_CHROME_CLASSES = ("wp-block-buttons", "sharedaddy", "jp-relatedposts", "wp-block-social-links")
_CHROME = " | ".join(
    f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"
    for name in _CHROME_CLASSES
)


def _rendered(post: dict[str, Any], field: str) -> str:
    """``post[field]["rendered"]``: WordPress wraps every HTML field so."""
    value = post.get(field)
    rendered = value.get("rendered") if isinstance(value, dict) else None
    return rendered if isinstance(rendered, str) else ""


def _terms(post: dict[str, Any]) -> list[str]:
    """Category names from ``_embedded["wp:term"]`` (tags and other taxonomies left out)."""
    groups = (post.get("_embedded") or {}).get("wp:term") or []
    return [
        term["name"]
        for group in groups
        for term in group or []
        if isinstance(term, dict) and term.get("taxonomy") == "category" and term.get("name")
    ]


def _author(post: dict[str, Any]) -> str | None:
    authors = (post.get("_embedded") or {}).get("author") or []
    name = authors[0].get("name") if authors and isinstance(authors[0], dict) else None
    return name or None


def render_content(content: str) -> RenderedBody | None:
    """The post body without buttons and share bars; None for a protected (empty) post."""
    if not content.strip():
        return None
    fragment = lxml.html.fragment_fromstring(content, create_parent="div")
    for element in fragment.xpath(_CHROME):
        element.drop_tree()
    return render_html(fragment)


def post_article(page: Page, post: dict[str, Any]) -> Article:
    """One WordPress post; ``content.rendered`` is its whole body."""
    title = plain_text(_rendered(post, "title"))
    published_at = parse_datetime(post.get("date_gmt"))
    if not post.get("id") or not post.get("link") or not title or published_at is None:
        raise PayloadError(f"post lacks id, link, title or date_gmt: {post.get('id')!r}")
    labels = _terms(post)
    return feed_article(
        page,
        native_id=str(post["id"]),
        url=post["link"],
        title=title,
        published_at=published_at,
        category=blog_category(labels, title),
        body=render_content(_rendered(post, "content")),
        summary=plain_text(_rendered(post, "excerpt")),
        author=_author(post),
        source_categories=labels,
        updated_at=parse_datetime(post.get("modified_gmt")),
    )


def blog_articles(page: Page) -> list[Article]:
    try:
        posts = page.json()
    except ValueError as error:
        raise PayloadError(f"posts page is not JSON: {error}") from error
    if not isinstance(posts, list):
        code = posts.get("code") if isinstance(posts, dict) else None
        raise PayloadError(f"WordPress answered {code or 'no post list'!r}")
    return [post_article(page, post) for post in posts]


def parse(page: Page) -> list[Article]:
    feed = feed_of(page)
    if feed == "blog":
        return blog_articles(page)
    if feed == "status":
        return status_articles(page)
    raise PayloadError(f"unknown Kraken feed {feed!r}")
