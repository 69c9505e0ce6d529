from policecloud.platform.store.testing import clock, store_engine, store_kind  # noqa: F401  (fixtures)
