"""The Parquet warehouse: schemas, atomic writes, versions, and DuckDB views over them."""

from warehouse.layout import warehouse_root
from warehouse.views import connect

__all__ = ["connect", "warehouse_root"]
