"""The data layers, bottom up: model ← warehouse ← ingest ← resolve ← derived.

Each layer imports only the layers below it and the platform; when a lower one must start a higher one
(ingest finished → update the derived indexes) it calls a platform hook instead of importing it.
"""
