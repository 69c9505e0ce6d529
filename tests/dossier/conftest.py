"""The dossier tests use ``tiny_warehouse`` from tests/conftest.py (one tiny province per test session)."""
