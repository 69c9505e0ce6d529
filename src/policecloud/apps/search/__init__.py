"""Cloud search (云搜索): a Tantivy index of master entities and case texts, Chinese-aware, jurisdiction-filtered.

Modules: :mod:`tokenize` (bigram analysis), :mod:`fields` (index schema), :mod:`documents` (documents from the
master data and the warehouse), :mod:`index` (versioned build and incremental update), :mod:`query` (modes,
filters, facets), :mod:`highlight` (snippets).
"""
