"""Derived stores (event key index, dossier link copies, search index): brought up to date after ingest and
resolution. They are disposable: each can be rebuilt from the warehouse and the master data."""
