"""Ingestion: declarative mappings bring any source onto the standard model; nothing is lost."""
