"""Full-text search over ``articles``: a tantivy index at ``<warehouse>/search/``.

tantivy needs a local folder: for a warehouse on an object store the index lives in the
local cache (:func:`warehouse.storage.local_cache`), one per machine, and every search
first catches it up with the warehouse (an incremental ``update``), so a machine that
never ran a flow searches what the others wrote.

The index holds each article once, at its newest version (what the ``articles`` view
shows), with the columns a hit is shown with stored beside it, so a search never scans
Parquet. Text fields use one analyzer for every language: runs of letters and digits are
lower-cased and stemmed as English, and each Chinese/Japanese/Korean character is a token
of its own; the query parser turns a CJK word such as 上线 into a phrase of its characters,
so it matches exactly where those characters stand side by side.

Keeping it current: ``update`` indexes the ``articles`` files the index has not seen (their
article ids, read back through the ``articles`` view so the newest version wins, deleted by
id then added) and, only after tantivy's commit, records the files in a marker. A crash
before the commit loses nothing (tantivy drops uncommitted work, the marker still lacks the
files); a crash between commit and marker re-indexes the same ids, which is harmless. A
compacted file whose replaced files were all indexed counts as indexed. Updates hold a file
lock; a second one waits up to ``wait`` seconds, then skips, and the next run catches up.
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import tantivy

from warehouse.schemas import TABLES
from warehouse.storage import Location, is_local, local_cache
from warehouse.views import (
    Manifest,
    connect,
    latest_manifest,
    live_files,
    snapshot_partition,
    utc_connection,
)

INDEX_DIR = "search"
INDEX_VERSION = 1  # bump when the schema or the analyzer changes: the next update rebuilds
MARKER = "exnews-indexed.json"
LOCK = ".exnews-update.lock"
ANALYZER = "exnews_text"
# A CJK character alone, else a run of letters/digits that are not CJK.
_TOKENS = (
    r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]"
    r"|[\w--\p{Han}--\p{Hiragana}--\p{Katakana}--\p{Hangul}]+"
)
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
_SPACES = re.compile(r"\s+")
TEXT_FIELDS = ("title", "body_text")
STORED_COLUMNS = ("article_id", "source", "category", "language", "published_at", *TEXT_FIELDS)
_COLUMNS = ", ".join(STORED_COLUMNS)
TITLE_BOOST = 2.0
SNIPPET_CHARS = 160
SQL_HITS = 10_000
BATCH_ROWS = 5_000
WRITER_HEAP = 128_000_000


class SearchError(ValueError):
    """A query that cannot run: empty, malformed, or no index yet."""


class IndexWriteError(OSError):
    """The index could not be written (disk full, read-only): it is derived, never fatal."""


@dataclass(frozen=True)
class Hit:
    """One ranked article; ``highlights`` are ``(start, end)`` character ranges of ``snippet``."""

    article_id: str
    source: str
    published_at: datetime | None
    title: str
    snippet: str
    highlights: tuple[tuple[int, int], ...]
    score: float
    category: str | None = None

    def marked(self, escape: Callable[[str], str], opening: str, closing: str) -> str:
        """The snippet on one line, each highlight wrapped, the text passed through ``escape``."""
        parts, cursor = [], 0
        for start, end in [*self.highlights, (len(self.snippet), len(self.snippet))]:
            parts.append(escape(_SPACES.sub(" ", self.snippet[cursor:start])))
            if start < end:
                parts += [opening, escape(_SPACES.sub(" ", self.snippet[start:end])), closing]
            cursor = end
        return "".join(parts)


def index_dir(root: Location) -> Path:
    return local_cache(root) / INDEX_DIR


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for name in ("article_id", "source", "category", "language"):
        builder.add_text_field(name, stored=True, tokenizer_name="raw")
    builder.add_date_field("published_at", stored=True, indexed=True, fast=True)
    for name in TEXT_FIELDS:
        builder.add_text_field(name, stored=True, tokenizer_name=ANALYZER)
    return builder.build()


def _with_analyzer(index: tantivy.Index) -> tantivy.Index:
    """Tokenizers are not stored in the index: every opener registers ours."""
    analyzer = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(_TOKENS))
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )
    index.register_tokenizer(ANALYZER, analyzer)
    return index


def _open(root: Location) -> tantivy.Index:
    directory = index_dir(root)
    if not (directory / "meta.json").exists():
        raise SearchError(f"no search index at {directory}: run `exnews search --rebuild`")
    return _with_analyzer(tantivy.Index.open(str(directory)))


# -- keeping the index current ---------------------------------------------------------


@contextmanager
def _locked(root: Location, wait: float) -> Iterator[bool]:
    """Hold the update lock; yields False when another holder kept it for ``wait`` seconds."""
    directory = index_dir(root)
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / LOCK).open("w") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.2)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_marker(root: Location) -> set[str] | None:
    """The files the committed index holds; None when there is no usable index."""
    path = index_dir(root) / MARKER
    if not path.exists() or not (index_dir(root) / "meta.json").exists():
        return None
    record = json.loads(path.read_text())
    return set(record["files"]) if record.get("version") == INDEX_VERSION else None


def _write_marker(root: Location, files: set[str]) -> None:
    path = index_dir(root) / MARKER
    temporary = path.with_name(f".{MARKER}.tmp")
    temporary.write_text(json.dumps({"version": INDEX_VERSION, "files": sorted(files)}))
    temporary.replace(path)


def _article_files(root: Location, manifest: Manifest | None) -> dict[str, Location]:
    """Live ``articles`` files (snapshot and delta) by their path under the warehouse."""
    live = live_files(root, TABLES["articles"], manifest=manifest)
    return {str(path.relative_to(root)): path for path in live.every}


def _replaced(manifest: Manifest | None) -> dict[str, set[str]]:
    """Paths of the files compactions replaced (still named), by the snapshot partition
    (source and year) whose files now hold their rows."""
    replaced: dict[str, set[str]] = defaultdict(set)
    for partition, names in (manifest.covers if manifest else {}).items():
        replaced[snapshot_partition(partition)].update(f"articles/{partition}/{n}" for n in names)
    return replaced


def _covered_by_compaction(manifest: Manifest | None, indexed: set[str]) -> set[str]:
    """Snapshot files whose source-year's replaced files are all indexed: same rows.

    A source-year whose replaced files are no longer named (vacuumed) proves nothing.
    """
    if manifest is None:
        return set()
    replaced = _replaced(manifest)
    return {
        f"articles/{partition}/{name}"
        for partition in manifest.current.keys() | manifest.history.keys()
        if replaced[partition] and replaced[partition] <= indexed
        for name in manifest.current.get(partition, []) + manifest.history.get(partition, [])
    }


def _document(row: dict[str, Any]) -> tantivy.Document:
    return tantivy.Document(**{name: row[name] for name in STORED_COLUMNS if row[name] is not None})


def _index_rows(
    writer: tantivy.IndexWriter, batches: Iterator[pa.RecordBatch], replace: bool = True
) -> Iterator[int]:
    """Add each row, replacing its article's older document; yields the rows of each batch."""
    for batch in batches:
        for row in batch.to_pylist():
            if replace:
                writer.delete_documents_by_term("article_id", row["article_id"])
            writer.add_document(_document(row))
        yield batch.num_rows


def _newest_rows(root: Location, files: list[Location]) -> Iterator[pa.RecordBatch]:
    """The current version (``articles`` view) of every article these files hold."""
    ids = (
        utc_connection(root)
        .sql(
            "SELECT DISTINCT article_id FROM read_parquet(?, union_by_name = true)",
            params=[[str(path) for path in files]],
        )
        .to_arrow_table()
    )
    connection = connect(root)
    connection.register("_changed_ids", ids)
    yield from connection.sql(
        f"SELECT {_COLUMNS} FROM articles SEMI JOIN _changed_ids USING (article_id)"
    ).to_arrow_reader(BATCH_ROWS)


def _commit(writer: tantivy.IndexWriter) -> None:
    """tantivy reports a failed write (a full disk) as a bare ValueError: name it."""
    try:
        writer.commit()
        writer.wait_merging_threads()
    except ValueError as error:
        raise IndexWriteError(f"could not write the search index: {error}") from error


def update(root: Location, wait: float = 60.0) -> int | None:
    """Index the articles of files not indexed yet; the rows indexed, None when skipped.

    Without a usable index (none yet, or an older ``INDEX_VERSION``) this rebuilds it.
    """
    with _locked(root, wait) as held:
        if not held:
            return None
        indexed = _read_marker(root)
        if indexed is None:
            return _rebuild_locked(root, None)
        manifest = latest_manifest(root, TABLES["articles"])
        files = _article_files(root, manifest)
        indexed &= set(files).union(*_replaced(manifest).values())
        indexed |= _covered_by_compaction(manifest, indexed)
        pending = sorted(files.keys() - indexed)
        done = 0
        if pending:
            writer = _open(root).writer(WRITER_HEAP, 1)
            done = sum(_index_rows(writer, _newest_rows(root, [files[name] for name in pending])))
            _commit(writer)
        _write_marker(root, indexed | set(pending))
        return done


def rebuild(
    root: Location, progress: Callable[[int, int], None] | None = None, wait: float = 600.0
) -> int:
    """Index every article of the ``articles`` view afresh; returns how many.

    ``progress(done, total)`` is called after each batch. Readers keep the old index until
    the commit at the end.
    """
    with _locked(root, wait) as held:
        if not held:
            raise SearchError(f"another update of {index_dir(root)} is running; try again")
        return _rebuild_locked(root, progress)


def _reusable_or_new(root: Location) -> tantivy.Index:
    """The index when it is of this version and opens (readers keep it meanwhile), else anew."""
    if _read_marker(root) is not None:
        try:
            return _open(root)
        except (OSError, ValueError):  # unreadable: start from nothing
            pass
    directory = index_dir(root)
    for path in directory.iterdir():
        if path.name != LOCK:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    return _with_analyzer(tantivy.Index(_schema(), path=str(directory), reuse=False))


def _rebuild_locked(root: Location, progress: Callable[[int, int], None] | None) -> int:
    index = _reusable_or_new(root)
    files = _article_files(
        root, latest_manifest(root, TABLES["articles"])
    )  # listed first: a file landing meanwhile is caught up next
    connection = connect(root)
    (total,) = connection.execute("SELECT count(*) FROM articles").fetchall()[0]
    writer = index.writer(WRITER_HEAP, 0)  # a thread per core: tokenizing is the bulk of it
    writer.delete_all_documents()
    done = 0
    reader = connection.sql(f"SELECT {_COLUMNS} FROM articles").to_arrow_reader(BATCH_ROWS)
    for rows in _index_rows(writer, iter(reader), replace=False):  # all deleted above
        done += rows
        if progress:
            progress(done, total)
    _commit(writer)
    _write_marker(root, set(files))
    return done


# -- searching --------------------------------------------------------------------------


def _characters(text: str, byte_offset: int) -> int:
    """tantivy reports UTF-8 byte offsets; Python slices by character."""
    return len(text.encode()[:byte_offset].decode(errors="ignore"))


def _highlights(
    fragment: str, snippet: tantivy.Snippet, cjk_words: list[str]
) -> tuple[tuple[int, int], ...]:
    """Character ranges, touching ones merged (a CJK word is one highlight, not one per char).

    tantivy highlights each character of a CJK word wherever it stands; a run of CJK
    characters stays highlighted only where it holds one of the query's CJK words.
    """
    ranges: list[tuple[int, int]] = []
    for span in snippet.highlighted():
        start, end = _characters(fragment, span.start), _characters(fragment, span.end)
        if ranges and ranges[-1][1] == start:
            ranges[-1] = (ranges[-1][0], end)
        else:
            ranges.append((start, end))
    return tuple(
        (start, end)
        for start, end in ranges
        if not _CJK_RUN.fullmatch(fragment[start:end])
        or any(word in fragment[start:end] for word in cjk_words)
    )


def _filters(
    schema: tantivy.Schema,
    sources: Sequence[str],
    since: datetime | None,
    until: datetime | None,
    category: str | None,
) -> list[tantivy.Query]:
    filters = []
    if sources:
        filters.append(tantivy.Query.term_set_query(schema, "source", list(sources)))
    if category:
        filters.append(tantivy.Query.term_query(schema, "category", category))
    if since or until:
        filters.append(
            tantivy.Query.range_query(
                schema, "published_at", tantivy.FieldType.Date, since, until,
                include_upper=until is None,
            )
        )  # fmt: skip
    return filters


def search(
    root: Location,
    query: str,
    *,
    sources: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    category: str | None = None,
    limit: int = 20,
    snippets: bool = True,
) -> list[Hit]:
    """The best ``limit`` articles for ``query`` by BM25 (title hits weigh double).

    Words are all required (``OR`` between them relaxes that); ``"…"`` is a phrase,
    ``-word`` excludes, ``title:word`` searches one field. ``[since, until)`` bounds
    ``published_at``.
    """
    if not query.strip():
        raise SearchError("empty query")
    if not is_local(root):
        update(root)
    index = _open(root)
    try:
        parsed = index.parse_query(
            query, list(TEXT_FIELDS), {"title": TITLE_BOOST}, conjunction_by_default=True
        )
    except ValueError as error:
        raise SearchError(f"invalid query {query!r}: {str(error).strip()}") from error
    schema = index.schema
    required = [parsed, *_filters(schema, sources, since, until, category)]
    clauses = [(tantivy.Occur.Must, clause) for clause in required]
    searcher = index.searcher()
    generator = tantivy.SnippetGenerator.create(searcher, parsed, schema, "body_text")
    generator.set_max_num_chars(SNIPPET_CHARS)
    hits = []
    for score, address in searcher.search(tantivy.Query.boolean_query(clauses), limit).hits:
        document = searcher.doc(address)
        snippet, highlights = "", ()
        if snippets:
            found = generator.snippet_from_doc(document)
            snippet = found.fragment()
            highlights = _highlights(snippet, found, _CJK_RUN.findall(query))
            if not snippet:  # a hit in the title only: the body's opening
                snippet = (document.get_first("body_text") or "")[:SNIPPET_CHARS]
        hits.append(
            Hit(
                article_id=document.get_first("article_id"),
                source=document.get_first("source"),
                published_at=document.get_first("published_at"),
                title=document.get_first("title") or "",
                snippet=snippet,
                highlights=highlights,
                score=score,
                category=document.get_first("category"),
            )
        )
    return hits


# -- from SQL ---------------------------------------------------------------------------


def _search_calls(node: Any) -> Iterator[str]:
    """The string argument of every ``search('…')`` table function in a parsed statement."""
    if isinstance(node, dict):
        function = node.get("function") if node.get("type") == "TABLE_FUNCTION" else None
        if function and function.get("function_name", "").lower() == "search":
            for argument in function.get("arguments", []):
                literal = argument["expression"].get("literal") or {}
                if literal.get("kind") == "STRING":
                    yield literal["text"]
        for value in node.values():
            yield from _search_calls(value)
    elif isinstance(node, list):
        for value in node:
            yield from _search_calls(value)


def attach_sql(connection: duckdb.DuckDBPyConnection, root: Location, sql: str) -> None:
    """Make ``search('query')`` a table of ``article_id, rank, score`` for this ``sql``.

    DuckDB runs no Python table functions, so the queries are read from the parsed SQL,
    run here (at most ``SQL_HITS`` hits each), and served by a temporary table macro.
    """
    if "search" not in sql.lower():
        return
    ((serialized,),) = connection.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()
    parsed = json.loads(serialized)
    queries = sorted(set(_search_calls(parsed.get("statements", []))))
    if not queries:
        return
    rows = [
        {"query": query, "article_id": hit.article_id, "rank": rank, "score": hit.score}
        for query in queries
        for rank, hit in enumerate(search(root, query, limit=SQL_HITS, snippets=False), 1)
    ]
    hits = pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [("query", pa.string()), ("article_id", pa.string()), ("rank", pa.int32()),
             ("score", pa.float32())]
        ),
    )  # fmt: skip
    connection.register("_search_hits", hits)
    connection.execute(
        "CREATE OR REPLACE TEMP MACRO search(q) AS TABLE "
        "SELECT article_id, rank, score FROM _search_hits WHERE query = q ORDER BY rank"
    )


def size_bytes(root: Location) -> int:
    """The index's size on disk."""
    return sum(path.stat().st_size for path in index_dir(root).rglob("*") if path.is_file())
