"""The apps: one package each (search, dossier, alerts, map, persons), each owning its routes, pages and static
files, commands, audit events and menu entries. They use the platform and the data layers, never each other:
they meet through the platform (hooks, audit events, links between pages)."""
