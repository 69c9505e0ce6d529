"""The warehouse: immutable standardized records, quarantine and lineage in Hive-partitioned Parquet."""

from policecloud.data.warehouse.base import BatchInfo, Warehouse, WarehouseError
from policecloud.data.warehouse.duckdb_engine import DuckDBWarehouse, RepairReport

__all__ = ["BatchInfo", "DuckDBWarehouse", "RepairReport", "Warehouse", "WarehouseError", "open_warehouse"]


def open_warehouse(root, engine: str = "duckdb") -> Warehouse:
    """Open (creating if needed) the warehouse at ``root`` with the named engine.

    A warehouse that an older version left with files outside their table's partition layout (which makes
    every read of that table fail) is repaired here, once: opening is what every reader and writer does.
    """
    engines = {"duckdb": DuckDBWarehouse}
    try:
        warehouse = engines[engine](root)
    except KeyError:
        raise WarehouseError(f"unknown warehouse engine {engine!r}; known: {', '.join(engines)}") from None
    if warehouse.misplaced():
        warehouse.recover()
    return warehouse
