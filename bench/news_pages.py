"""Real-world-like news pages for the transform benchmark, generated offline.

No public article-extraction corpus ships in a package on the registry (trafilatura's
sdist carries a few test pages and no ground truth), so :func:`news_pages` writes pages the
way news sites and blogs build them: a header menu, breadcrumbs, a sidebar of most-read
headlines, share buttons, a newsletter form, tags, an author box, related stories, reader
comments, a cookie banner, a footer of links, inline scripts and styles, JSON-LD and
OpenGraph metadata — around an article body of paragraphs, subheadings, lists, a table, a
quote and a figure. Five site layouts, English and Chinese, 37 to 177 KB a page, seeded so
every run benchmarks the same pages. Each page comes with the text a reader sees as its
body (:attr:`NewsPage.body_text`), so a run can also report body F1 as a sanity check.
"""

from __future__ import annotations

import html
import json
import random
import re
from dataclasses import dataclass, replace

SITES = (
    ("The Ledger Daily", "ledgerdaily.com"),
    ("Block Street Journal", "blockstreet.news"),
    ("Coin Observer", "coinobserver.io"),
    ("Market Wire", "marketwire.example.org"),
    ("链闻快讯", "lianwen.cn"),
)
_PROSE = (
    "the market traders said on monday that liquidity across exchanges remained thin while "
    "analysts expected volatility to persist as regulators in several countries weighed new "
    "rules for digital assets and banks prepared custody services for institutional clients "
    "after a week of heavy inflows into exchange traded funds which pushed prices higher "
    "despite concerns about interest rates inflation and the outlook for technology shares "
    "investors rotated into larger tokens and stablecoin supply grew for a third month while "
    "developers shipped an upgrade that lowers fees and improves settlement times for users"
)
_EN_WORDS = tuple(_PROSE.split())
_ZH_CLAUSES = (
    "市场人士周一表示", "各大交易所的流动性依然偏紧", "分析师预计波动将持续",
    "多国监管机构正在权衡新的规则", "银行准备为机构客户提供托管服务",
    "交易所交易基金本周录得大量资金流入", "价格因此走高",
    "投资者担心利率和通胀前景", "稳定币供应连续第三个月增长", "开发者发布了降低手续费的升级",
    "结算时间明显缩短", "链上活跃地址数创下新高",
)  # fmt: skip
_COINS = (
    ("Bitcoin", "BTC"), ("Ethereum", "ETH"), ("Solana", "SOL"), ("Toncoin", "TON"),
    ("Arbitrum", "ARB"), ("Celestia", "TIA"), ("Ondo", "ONDO"), ("Sui", "SUI"),
)  # fmt: skip
_PLACES = ("Singapore", "Hong Kong", "London", "New York", "Dubai", "Seoul", "Tokyo", "Zurich")
_ORGS = ("the SEC", "BlackRock", "Binance", "Coinbase", "the Federal Reserve", "Fidelity")
_MENU = (
    "Home", "Markets", "Business", "Technology", "Policy", "Opinion", "Research", "Events",
    "Podcasts", "Videos", "Newsletters", "Learn", "Prices", "Data", "About", "Careers",
    "Advertise", "Contact", "Sponsored", "Deals", "Jobs", "Calendar",
)  # fmt: skip
_SECTIONS = re.compile(rb"<(/?)(?:nav|aside|footer)\b")
_SCRIPT_WORDS = ("window", "dataLayer", "push", "function", "var", "return", "config", "ads")


@dataclass(frozen=True)
class NewsPage:
    """One generated page: its URL, HTML, and the body a reader sees (the ground truth)."""

    name: str
    url: str
    html: bytes
    title: str
    body_text: str


def _en_sentence(rng: random.Random) -> str:
    """A sentence of market news, now and then with a ticker, pair, amount or date."""
    words = [rng.choice(_EN_WORDS) for _ in range(rng.randint(8, 22))]
    name, ticker = rng.choice(_COINS)
    extra = rng.choice(
        (
            "",
            f" {name} ({ticker}) rose {rng.randint(1, 40)}.{rng.randint(0, 9)}%",
            f" volume on {ticker}/USDT reached {rng.randint(1, 900)},{rng.randint(0, 999):03d} "
            "USDT",
            f" {rng.choice(_ORGS)} said in {rng.choice(_PLACES)}",
            f" on 2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            f" a ${rng.randint(1, 9)}.{rng.randint(0, 9)} billion fund",
        )
    )
    text = " ".join(words) + extra
    return text[0].upper() + text[1:] + "."


def _zh_sentence(rng: random.Random) -> str:
    clauses = rng.sample(_ZH_CLAUSES, rng.randint(2, 4))
    ticker = rng.choice(_COINS)[1]
    if rng.random() < 0.4:
        clauses.append(f"{ticker}/USDT 成交额达 {rng.randint(1, 900)} 万 USDT")
    return "，".join(clauses) + "。"


def _paragraph(rng: random.Random, chinese: bool) -> str:
    sentence = _zh_sentence if chinese else _en_sentence
    return ("" if chinese else " ").join(sentence(rng) for _ in range(rng.randint(2, 6)))


def _headline(rng: random.Random, chinese: bool) -> str:
    if chinese:
        return rng.choice(_ZH_CLAUSES) + "，" + rng.choice(_ZH_CLAUSES)
    name, ticker = rng.choice(_COINS)
    words = " ".join(rng.choice(_EN_WORDS) for _ in range(rng.randint(4, 8)))
    return f"{name} ({ticker}) {words}".title()


def _body(rng: random.Random, chinese: bool) -> tuple[str, list[str]]:
    """The article's HTML and the text blocks a reader sees in it, in order."""
    parts: list[str] = []
    seen: list[str] = []
    for index in range(rng.randint(4, 22)):
        if index and rng.random() < 0.15:
            heading = _headline(rng, chinese)
            parts.append(f"<h2>{html.escape(heading)}</h2>")
            seen.append(heading)
        paragraph = _paragraph(rng, chinese)
        if rng.random() < 0.3:  # an inline link inside the sentence
            cut = paragraph.find(" ", len(paragraph) // 2)
            cut = cut if cut > 0 else len(paragraph) // 2
            marked = (
                f"{html.escape(paragraph[:cut])} <a href='/news/{rng.randint(1000, 9999)}'>"
                f"{html.escape(paragraph[cut:].strip())}</a>"
            )
            parts.append(f"<p>{marked}</p>")
        else:
            parts.append(f"<p>{html.escape(paragraph)}</p>")
        seen.append(paragraph)
        if rng.random() < 0.08:
            items = [_en_sentence(rng) for _ in range(rng.randint(2, 5))]
            parts.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
            seen += items
        if rng.random() < 0.05:
            rows = [(rng.choice(_COINS)[1], f"{rng.randint(1, 99)}.{rng.randint(0, 9)}%")]
            rows += [(rng.choice(_COINS)[1], f"{rng.randint(1, 99)}%") for _ in range(3)]
            cells = "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in rows)
            parts.append(f"<table><tr><th>Token</th><th>Change</th></tr>{cells}</table>")
            seen += ["Token Change", *(f"{a} {b}" for a, b in rows)]
        if rng.random() < 0.05:
            quote = _en_sentence(rng)
            parts.append(f"<blockquote><p>{html.escape(quote)}</p></blockquote>")
            seen.append(quote)
        if rng.random() < 0.06:
            parts.append(
                f"<figure><img src='/img/{rng.randint(1, 999)}.jpg' alt='chart'>"
                "<figcaption>Source: exchange data</figcaption></figure>"
            )
    return "".join(parts), seen


def _menu(rng: random.Random) -> str:
    """A mega menu: sections of links, each in the wrappers menu libraries emit."""
    sections = []
    for name in rng.sample(_MENU, rng.randint(6, 10)):
        links = "".join(
            f"<li class='menu-item'><a href='/{name.lower()}/{rng.randint(1, 99)}'>"
            f"<span class='icon'></span><span>{rng.choice(_MENU)} {rng.choice(_EN_WORDS)}</span>"
            "</a></li>"
            for _ in range(rng.randint(6, 18))
        )
        sections.append(
            f"<li class='menu-section'><a href='/{name.lower()}'>{name}</a>"
            f"<div class='submenu'><div class='submenu-inner'><ul>{links}</ul></div></div></li>"
        )
    return f"<nav class='main-menu'><ul>{''.join(sections)}</ul></nav>"


def _cards(rng: random.Random, count: int, chinese: bool) -> str:
    """Teasers of other stories: image, kicker, headline, time."""
    return "".join(
        f"<div class='card'><a href='/news/{rng.randint(10000, 99999)}'><div class='card-media'>"
        f"<img src='/img/{rng.randint(1, 999)}.jpg' alt=''></div><div class='card-body'>"
        f"<span class='kicker'>{rng.choice(_MENU)}</span>"
        f"<h4 class='card-title'>{html.escape(_headline(rng, chinese))}</h4>"
        f"<span class='time'>{rng.randint(1, 23)}h ago</span></div></a></div>"
        for _ in range(count)
    )


def _ad(rng: random.Random) -> str:
    slot = rng.randint(1, 10**6)
    return (
        f"<div class='ad-wrapper'><div class='ad-label'>Advertisement</div><div class='ad'>"
        f"<div id='ad-slot-{slot}'><iframe src='/ads/{slot}'></iframe></div></div></div>"
    )


def _footer(rng: random.Random, site: str) -> str:
    columns = "".join(
        f"<div class='footer-col'><h5>{rng.choice(_MENU)}</h5><ul>"
        + "".join(
            f"<li><a href='/{word.lower()}'>{word}</a></li>" for word in rng.sample(_MENU, 10)
        )
        + "</ul></div>"
        for _ in range(rng.randint(4, 6))
    )
    return f"<footer><div class='footer-cols'>{columns}</div><p>© 2026 {site}.</p></footer>"


def _script(rng: random.Random, size: int) -> str:
    """Tracking and app code: weight every real page carries and no extractor keeps."""
    chunks = []
    while sum(map(len, chunks)) < size:
        a, b = rng.choice(_SCRIPT_WORDS), rng.choice(_SCRIPT_WORDS)
        chunks.append(f"{a}.{b}({{id:{rng.randint(1, 10**6)},v:'{rng.random():.6f}'}});")
    return "".join(chunks)


def _style(rng: random.Random, size: int) -> str:
    chunks = []
    while sum(map(len, chunks)) < size:
        chunks.append(f".c{rng.randint(1, 9999)}{{margin:{rng.randint(0, 40)}px;color:#abc}}")
    return "".join(chunks)


def _comments(rng: random.Random, chinese: bool) -> str:
    items = "".join(
        f"<li class='comment'><div class='comment-author'>user{rng.randint(1, 999)}</div>"
        f"<div class='comment-body'><p>{html.escape(_paragraph(rng, chinese)[:200])}</p></div>"
        "<a class='reply'>Reply</a></li>"
        for _ in range(rng.randint(2, 8))
    )
    return f"<section id='comments' class='comments'><h3>Comments</h3><ol>{items}</ol></section>"


_SHARE = (
    "<div class='share'>"
    + "".join(
        f"<a class='share-{name.lower()}' href='#'><svg viewBox='0 0 24 24'>"
        f"<path d='M0 0h24v24H0z'/></svg><span>{name}</span></a>"
        for name in ("X", "Facebook", "LinkedIn", "Telegram", "Copy link")
    )
    + "</div>"
)
_COOKIE = (
    "<div id='cookie-banner'>We use cookies to improve your experience. "
    "<button>Accept</button><button>Settings</button></div>"
)


def _page(rng: random.Random, index: int) -> NewsPage:
    site, host = SITES[index % len(SITES)]
    chinese = host.endswith(".cn") or rng.random() < 0.1
    layout = index % 5
    title = _headline(rng, chinese)
    slug = f"story-{index:04d}"
    url = f"https://www.{host}/{'news' if layout % 2 else '2026/11'}/{slug}"
    body, seen = _body(rng, chinese)
    author = f"Alex Writer{index % 17}"
    published = (
        f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:15:00Z"
    )
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "datePublished": published,
            "author": {"@type": "Person", "name": author},
        },
        ensure_ascii=False,
    )
    head = (
        f"<!DOCTYPE html><html lang='{'zh-CN' if chinese else 'en'}'><head>"
        "<meta charset='utf-8'><meta name='viewport' content='width=device-width'>"
        f"<title>{html.escape(title)} | {site}</title>"
        f"<meta property='og:title' content='{html.escape(title, quote=True)}'>"
        "<meta property='og:type' content='article'>"
        f"<link rel='canonical' href='{url}'>"
        + (f"<script type='application/ld+json'>{ld}</script>" if layout != 3 else "")
        + (f"<meta property='article:published_time' content='{published}'>" if layout == 3 else "")
        + f"<style>{_style(rng, rng.randint(2_000, 40_000))}</style>"
        f"<script>{_script(rng, rng.randint(5_000, 120_000))}</script></head>"
    )
    menu = f"<header class='site-header'><a class='logo' href='/'>{site}</a>{_menu(rng)}"
    menu += "<form class='search'><input name='q'><button>Search</button></form></header>"
    crumbs = "<div class='breadcrumbs'><a href='/'>Home</a> › <a href='/news'>News</a></div>"
    byline = (
        f"<div class='byline'>By <a rel='author' href='/author/{index % 17}'>{author}</a> · "
        f"<time datetime='{published}'>{published[:10]}</time></div>"
    )
    tags = "".join(f"<a href='/tag/{word}'>{word}</a> " for word in rng.sample(_EN_WORDS, 5))
    bio = (
        f"<div class='author-bio'><h4>About {author}</h4><p>{author} covers markets and "
        f"policy for {site}.</p></div>"
    )
    related = f"<aside class='related'><h3>Related stories</h3>{_cards(rng, 6, chinese)}</aside>"
    sidebar = (
        f"<aside class='sidebar'>{_ad(rng)}<h3>Most read</h3>{_cards(rng, 10, chinese)}"
        "<div class='newsletter'><h4>Get the daily briefing</h4><form><input type='email'>"
        f"<button>Subscribe</button></form></div>{_ad(rng)}</aside>"
    )
    comments = _comments(rng, chinese) if rng.random() < 0.4 else ""
    article = (
        f"<h1>{html.escape(title)}</h1>{byline}{_SHARE}<div class='entry-content'>{body}"
        f"</div>{_ad(rng)}<div class='tags'>Tags: {tags}</div>"
    )
    if layout == 0:  # WordPress
        main = (
            f"<div id='content'><article class='post'>{article}{bio}</article>{related}"
            f"{comments}</div>{sidebar}"
        )
    elif layout == 1:  # a news app page with embedded state
        state = json.dumps({"props": {"pageProps": {"id": index, "tags": seen[:1]}}})
        main = f"<main><article>{article}</article>{related}</main>{sidebar}"
        main += f"<script id='__NEXT_DATA__' type='application/json'>{html.escape(state)}</script>"
    elif layout == 2:  # old table layout
        main = (
            f"<table class='layout'><tr><td class='main'>{article}{comments}</td>"
            f"<td>{sidebar}</td></tr></table>"
        )
    elif layout == 3:  # a blog
        main = (
            f"<div class='container'><div class='row'><div class='col-8'>{article}{bio}"
            f"{comments}</div><div class='col-4'>{sidebar}</div></div>{related}</div>"
        )
    else:  # sections
        main = (
            f"<main><section class='story'>{article}</section><section>{related}</section>"
            f"</main>{sidebar}"
        )
    footer = _footer(rng, site)
    page = f"{head}<body>{_COOKIE}{menu}{crumbs}{main}{footer}</body></html>"
    return NewsPage(f"{slug}.html", url, page.encode(), title, "\n".join(seen))


def news_pages(count: int = 180, seed: int = 11, *, sections: str = "html5") -> list[NewsPage]:
    """``count`` pages across the layouts and sites, the same for one seed.

    ``sections="div"`` gives the same pages with their menus, sidebars and footers in plain
    ``div``s instead of ``<nav>``, ``<aside>`` and ``<footer>``, as sites laid out before
    HTML5 sectioning write them: extractors drop those tags unread, and ``div``s they judge.
    """
    if sections not in ("html5", "div"):
        raise ValueError(f"sections is 'html5' or 'div', not {sections!r}")
    rng = random.Random(seed)
    pages = [_page(rng, index) for index in range(count)]
    if sections == "div":
        pages = [replace(page, html=_SECTIONS.sub(rb"<\1div", page.html)) for page in pages]
    return pages
