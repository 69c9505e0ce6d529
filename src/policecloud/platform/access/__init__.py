"""Access control and audit: users, roles, jurisdictions, purposes, masking and the hash-chained audit log."""
