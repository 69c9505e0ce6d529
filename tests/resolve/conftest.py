"""Resolution tests run judgements on every store engine; the tiny province fixture is in tests/conftest.py."""

from policecloud.platform.store.testing import clock, store_engine, store_kind  # noqa: F401  (fixtures)
