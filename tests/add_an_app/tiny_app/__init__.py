"""A tiny app from outside the package tree: one route, one page, one command and one audit event, plugged in
through ``Settings.apps`` without editing any core file (docs/ARCHITECTURE.md, "How to add an app")."""
