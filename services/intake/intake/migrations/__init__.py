"""The intake database's schema history (Alembic revisions; see disputes_shared.plumbing.schema)."""
