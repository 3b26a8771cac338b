"""``python -m <service> migrate|run``: the explicit schema step, and the service itself."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from sqlalchemy import MetaData

from ..contract.agencies import Agency
from .config import database_url, service_config
from .storage import make_engine


def migrate(metadata: MetaData, url: str) -> None:
    """Create the service's tables where missing. An explicit step, never run by the service
    at start-up, so replicas do not race each other over the schema."""
    engine = make_engine(url)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()


def main(service_cls: Any, agency: Agency, metadata: MetaData, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {service_cls.name}",
                                     description=f"The {agency} service of the dispute platform.")
    parser.add_argument("command", choices=["migrate", "run"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO,
                        format=f"%(asctime)s {service_cls.name} %(levelname)s %(name)s: %(message)s")
    if args.command == "migrate":
        url = database_url(agency)
        migrate(metadata, url)
        print(f"{service_cls.name}: schema ready")
        return 0
    from nameko.cli.run import run

    config = service_config(agency)
    check = getattr(service_cls, "check_configuration", None)
    if check is not None:
        try:
            check(config)  # rule tables and regional figures: refuse to start on a bad one
        except ValueError as exc:
            print(f"{service_cls.name}: {exc}", file=sys.stderr)
            return 2
    run([service_cls], config)
    return 0


def entry(service_cls: Any, agency: Agency, metadata: MetaData) -> None:
    sys.exit(main(service_cls, agency, metadata))
