"""The warehouse: immutable standardized records, quarantine and lineage in Hive-partitioned Parquet."""

from policecloud.warehouse.base import BatchInfo, Warehouse, WarehouseError
from policecloud.warehouse.duckdb_engine import DuckDBWarehouse

__all__ = ["BatchInfo", "DuckDBWarehouse", "Warehouse", "WarehouseError", "open_warehouse"]


def open_warehouse(root, engine: str = "duckdb") -> Warehouse:
    """Open (creating if needed) the warehouse at ``root`` with the named engine."""
    engines = {"duckdb": DuckDBWarehouse}
    try:
        return engines[engine](root)
    except KeyError:
        raise WarehouseError(f"unknown warehouse engine {engine!r}; known: {', '.join(engines)}") from None
