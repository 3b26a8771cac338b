"""``python -m <service> migrate|revision|run``: the explicit schema step, and the service."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from sqlalchemy import MetaData

from ..contract.agencies import Agency
from ..identity.settings import IdentitySettings
from .config import database_url, service_config
from .schema import ServiceSchema


def service_schema(service_cls: Any, metadata: MetaData) -> ServiceSchema:
    """A service's schema: its revisions live in its own package (``intake.migrations``...)."""
    return ServiceSchema(service_cls.__module__.split(".")[0], metadata)


def main(service_cls: Any, agency: Agency, metadata: MetaData, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {service_cls.name}",
                                     description=f"The {agency} service of the dispute platform.")
    commands = parser.add_subparsers(dest="command", required=True)
    migrate = commands.add_parser("migrate", help="bring the database to a revision (default: head); "
                                  "run once per release, before the service starts")
    migrate.add_argument("revision", nargs="?", default="head")
    downgrade = commands.add_parser("downgrade", help="take the database back to a revision")
    downgrade.add_argument("revision")
    revision = commands.add_parser("revision", help="write a new revision from what the tables "
                                   "declare and the database (at head) lacks")
    revision.add_argument("-m", "--message", required=True)
    commands.add_parser("run", help="run the service")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO,
                        format=f"%(asctime)s {service_cls.name} %(levelname)s %(name)s: %(message)s")
    schema = service_schema(service_cls, metadata)
    url = database_url(agency)
    if args.command == "migrate":
        schema.upgrade(url, args.revision)
        print(f"{service_cls.name}: schema at {args.revision}")
        return 0
    if args.command == "downgrade":
        schema.downgrade(url, args.revision)
        print(f"{service_cls.name}: schema at {args.revision}")
        return 0
    if args.command == "revision":
        schema.new_revision(url, args.message)
        return 0
    from nameko.cli.run import run

    config = service_config(agency)
    layer = getattr(service_cls, "agency_logic", None)
    try:
        # Who may sign in (production refuses the development issuer), rule tables, regional
        # figures: refuse to start on a bad one.
        IdentitySettings.from_config(config)
        if layer is not None:
            layer.bootstrap(config)
    except ValueError as exc:
        print(f"{service_cls.name}: {exc}", file=sys.stderr)
        return 2
    run([service_cls], config)
    return 0


def entry(service_cls: Any, agency: Agency, metadata: MetaData) -> None:
    sys.exit(main(service_cls, agency, metadata))
