"""Each service's schema history (Alembic): revisions in ``<service package>/migrations/``,
one independent history per service database, run as an explicit step, never at start-up.

The migration environment and the revision template are shared (``disputes_shared/migrations``);
only the revisions belong to the service.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, inspect

from .engine import make_engine
from .personal_data import KeyManagement

ENVIRONMENT = Path(str(resources.files("disputes_shared") / "migrations"))


class SchemaNotManaged(RuntimeError):
    """The database has the service's tables but no migration history: it was made some other
    way, and no revision can safely be applied to it."""


class ServiceSchema:
    """The tables of one service (``metadata``) and the revisions that build them."""

    def __init__(self, package: str, metadata: MetaData) -> None:
        self.package = package
        self.metadata = metadata
        # Tables the service no longer declares but its database keeps until a later release
        # drops them, because the release before still reads them.
        self.retired_tables = frozenset(metadata.info.get("retired_tables", ()))
        self.versions = Path(str(resources.files(package) / "migrations"))

    def config(self, url: str, keys: KeyManagement | None = None) -> Config:
        config = Config()
        config.set_main_option("script_location", str(ENVIRONMENT))
        config.set_main_option("path_separator", "os")
        config.set_main_option("version_locations", str(self.versions))
        config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
        # Kept out of the ini-style options, where '%' in a password would be read as interpolation.
        config.attributes["url"] = url
        config.attributes["metadata"] = self.metadata
        config.attributes["retired_tables"] = self.retired_tables
        config.attributes["keys"] = keys  # the revision sealing personal data needs them
        return config

    def head(self) -> str:
        heads = ScriptDirectory.from_config(self.config("")).get_heads()
        if len(heads) != 1:
            raise RuntimeError(f"{self.package}: migration history has {len(heads)} heads {heads}; "
                               "merge them into one")
        return heads[0]

    def revisions(self) -> frozenset[str]:
        """Every revision in this service's history."""
        script = ScriptDirectory.from_config(self.config(""))
        return frozenset(r.revision for r in script.walk_revisions())

    @staticmethod
    def current(connection: Connection) -> str | None:
        """The revision the database is at (None: no history yet)."""
        return MigrationContext.configure(connection).get_current_revision()

    def upgrade(self, url: str, revision: str = "head", keys: KeyManagement | None = None) -> None:
        self._refuse_unmanaged(url)
        command.upgrade(self.config(url, keys), revision)

    def downgrade(self, url: str, revision: str = "base", keys: KeyManagement | None = None) -> None:
        command.downgrade(self.config(url, keys), revision)

    def new_revision(self, url: str, message: str) -> None:
        """Write a revision with what differs between the database (at head) and the tables."""
        command.revision(self.config(url), message=message, autogenerate=True)

    def _refuse_unmanaged(self, url: str) -> None:
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                if self.current(connection) is not None:
                    return
                existing = set(inspect(connection).get_table_names()) & set(self.metadata.tables)
        finally:
            engine.dispose()
        if existing:
            raise SchemaNotManaged(
                f"{self.package}: the database already has {sorted(existing)} but no migration "
                "history (made before migrations existed); move its data to a fresh database")
