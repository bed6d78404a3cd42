"""DuckDB over the Parquet files: the views every reader sees.

Files are append-only, so the views do the deduplication: ``articles`` is the newest
row per article, ``article_versions`` every distinct content, and a crash or a
concurrent writer can only leave duplicates that these views hide.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from warehouse.layout import table_files, table_glob, warehouse_root
from warehouse.schemas import TABLES, TableSpec

_LOGICAL_VIEWS = {
    "articles": """
        SELECT * FROM _articles_rows
        QUALIFY row_number() OVER (
            PARTITION BY article_id ORDER BY fetched_at DESC, content_hash) = 1""",
    "article_versions": """
        SELECT * FROM _articles_rows
        QUALIFY row_number() OVER (
            PARTITION BY article_id, content_hash ORDER BY fetched_at) = 1""",
    "comments": """
        SELECT * FROM _comments_rows
        QUALIFY row_number() OVER (PARTITION BY comment_id ORDER BY fetched_at DESC) = 1""",
    "mentions": """
        SELECT m.* FROM _mentions_rows AS m
        SEMI JOIN articles AS a
            ON m.article_id = a.article_id AND m.content_hash = a.content_hash
        QUALIFY row_number() OVER (
            PARTITION BY m.article_id, m.content_hash, m.field, m.kind,
                         m.start_offset, m.end_offset
            ORDER BY m.fetched_at) = 1""",
    "raw_pages": """
        SELECT * FROM _raw_pages_rows
        QUALIFY row_number() OVER (PARTITION BY raw_id ORDER BY fetched_at) = 1""",
    "runs": """
        SELECT * FROM _runs_rows
        QUALIFY row_number() OVER (PARTITION BY run_id, source ORDER BY finished_at) = 1""",
    "quarantine": """
        SELECT * FROM _quarantine_rows
        QUALIFY row_number() OVER (PARTITION BY quarantine_id ORDER BY failed_at) = 1""",
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _glob(root: Path, spec: TableSpec, root_variable: str | None) -> str:
    """The table's files as SQL: a literal, or the DuckDB variable's root (else ``root``) + glob."""
    if root_variable is None:
        return _quote(table_glob(root, spec))
    fallback = _quote(str(root))
    return f"coalesce(getvariable({_quote(root_variable)}), {fallback}) || " + _quote(
        "/" + table_glob(Path(), spec)
    )


def create_views(
    connection: duckdb.DuckDBPyConnection, root: Path, root_variable: str | None = None
) -> None:
    """(Re)create every view; a table without files yet gets an empty table of its schema.

    With ``root_variable`` the views find the files under that DuckDB variable when it is set,
    else under ``root``: a database file holding them can be opened from anywhere.
    """
    for name, spec in TABLES.items():
        rows_view = f"_{name}_rows"
        if table_files(root, spec):
            source = (
                f"SELECT * EXCLUDE (month) FROM read_parquet({_glob(root, spec, root_variable)}, "
                "hive_partitioning = true, union_by_name = true)"
            )
        else:
            empty = f"_{name}_empty"
            connection.execute(f"DROP TABLE IF EXISTS {empty}")
            connection.from_arrow(spec.schema.empty_table()).create(empty)
            source = f"SELECT * FROM {empty}"
        connection.execute(f"CREATE OR REPLACE VIEW {rows_view} AS {source}")
    for name, query in _LOGICAL_VIEWS.items():
        connection.execute(f"CREATE OR REPLACE VIEW {name} AS {query}")


def utc_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that reads and shows every time in UTC."""
    connection = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def connect(root: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the warehouse views, times in UTC."""
    connection = utc_connection()
    create_views(connection, warehouse_root(root))
    return connection


def confined_connection(root: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """The views, and no file outside the warehouse folder: what ``exnews sql`` queries.

    Table functions would otherwise read any file the user can (``read_csv('/etc/passwd')``)
    or any URL. With external access off, DuckDB reads only the allowed folder and loads no
    extension; with the configuration locked, no later statement can change any setting.
    """
    folder = warehouse_root(root).resolve()
    connection = connect(folder)
    connection.execute("SET allowed_directories = ?", [[f"{folder}{os.sep}"]])
    connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")
    return connection


READ_ONLY_TYPES = frozenset({"SELECT", "EXPLAIN"})


def _statement_type(statement: duckdb.Statement) -> str:
    """Its type's name, or its first words for a type this duckdb module cannot name."""
    try:
        return statement.type.name
    except ValueError:  # UPDATE EXTENSIONS in duckdb 2.0
        return " ".join(statement.query.split()[:2]).upper()


def read_only_statements(query: str) -> list[duckdb.Statement]:
    """The query's statements, refusing anything that could write or load."""
    statements = duckdb.extract_statements(query)
    if not statements:
        raise ValueError("empty query")
    for statement in statements:
        kind = _statement_type(statement)
        if kind not in READ_ONLY_TYPES:
            raise ValueError(f"only read-only queries (SELECT, EXPLAIN) are allowed, not {kind}")
    return statements
