"""The Alembic environment every service's migration history runs in (see plumbing.schema)."""
