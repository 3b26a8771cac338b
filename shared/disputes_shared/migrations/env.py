"""Alembic environment shared by every service: the service's tables and database URL come in
through ``config.attributes`` (``plumbing.schema.ServiceSchema.config``)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy.types import TypeDecorator

from disputes_shared.plumbing.engine import DatabaseTimeouts, make_engine

config = context.config
url: str = config.attributes["url"]
metadata = config.attributes["metadata"]
retired_tables = config.attributes.get("retired_tables", frozenset())


def render_item(kind: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # Revisions record the stored column type, not the platform's Python wrapper, so an old
    # revision never depends on code that may later change.
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl_instance!r}"
    return False


def include_object(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
    # A retired table is dropped by the revision of the release that retires it for good, not
    # by whatever revision is written meanwhile.
    table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table not in retired_tables


def run() -> None:
    # A migration may rewrite a large table: no statement limit, but it must not wait long
    # for a lock (every service transaction would queue behind its request).
    engine = make_engine(url, DatabaseTimeouts(statement=0))
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection, target_metadata=metadata, compare_type=True,
                render_item=render_item, include_object=include_object,
                # SQLite alters a table by copying it; batch mode writes revisions that way.
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported: run against the database")
run()
