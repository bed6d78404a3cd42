"""``<warehouse>/exnews.duckdb``: the warehouse views in a file any DuckDB client opens.

DuckDB resolves a relative path in a view against the process's working directory (or
``file_search_path``), never against the database file, and refuses to create a view whose
files it cannot find. So each view reads
``coalesce(getvariable('exnews_warehouse'), '<absolute warehouse>') || '/<table>/…'``:
opened in place it works from any directory; after moving or mounting the folder elsewhere,
``SET VARIABLE exnews_warehouse = '/new/place';`` points it there (every refresh also
rewrites the default). Times are stored in UTC; ``SET TimeZone = 'UTC'`` shows them so.
The file is written in DuckDB 1.1's storage format, so older clients open it too.

The file is built under a temporary name and renamed over the old one, so a reader never
opens a half-written catalog, and two refreshes at once leave one whole file.

For a warehouse on an object store the catalog is a local file, in the local cache
(:func:`warehouse.storage.local_cache`): DuckDB opens no database file remotely for
writing. Its views read ``s3://…`` paths, so a client that opens it needs httpfs loaded
and an S3 secret (or, from Python, the bucket's fsspec filesystem registered).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import duckdb

from warehouse.storage import Location, is_local, local_cache
from warehouse.views import create_views

CATALOG_NAME = "exnews.duckdb"
ROOT_VARIABLE = "exnews_warehouse"
# The oldest storage format that has everything the views use (getvariable came in 1.1):
# clients that lag behind the duckdb module, such as a DuckDB 1.x CLI or JDBC driver, open it.
STORAGE_VERSION = "v1.1.0"


def catalog_path(root: Location) -> Path:
    return local_cache(root) / CATALOG_NAME


def refresh(root: Location) -> Path:
    """Rewrite the catalog with the current views; returns its path."""
    root = root.resolve() if is_local(root) else root
    final = catalog_path(root)
    final.parent.mkdir(parents=True, exist_ok=True)
    temporary = final.with_name(f".{CATALOG_NAME}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        connection = duckdb.connect(
            str(temporary), config={"storage_compatibility_version": STORAGE_VERSION}
        )
        try:
            create_views(connection, root, root_variable=ROOT_VARIABLE)
        finally:
            connection.close()
        temporary.replace(final)
    finally:
        temporary.unlink(missing_ok=True)
        temporary.with_name(temporary.name + ".wal").unlink(missing_ok=True)
    return final
