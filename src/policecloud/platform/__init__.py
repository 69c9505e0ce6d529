"""The platform core: what every app stands on, and nothing any app owns.

Settings, crash-safe files and SQL quoting; the operational store; access (users, roles, jurisdictions,
purpose, masking) and the audit chain; the HTTP policy every route declares; the app registry and its hooks;
the CLI kit and the web shell (home screen, shared front-end files). It imports no data layer and no app.
"""
