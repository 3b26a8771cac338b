"""Write or check the published event contract (``scripts/contract.sh``, ``make contract``).

    python tools/contract/contract.py write [DIR] [--force]
    python tools/contract/contract.py check [DIR]

The generator itself is ``disputes_shared.contract.spec``; this command line stays out of the
installed package, and ``check`` needs ``jsonschema``, a development dependency.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jsonschema import Draft202012Validator, SchemaError

from disputes_shared.contract.spec import (
    compatibility_problems,
    differences,
    published_schemas,
    read_published,
    write,
)


def check(folder: Path) -> list[str]:
    """What CI refuses: committed files that are stale or break the published versions, and
    JSON Schemas that are not valid Draft 2020-12."""
    problems = [f"{name} differs from what the schemas generate (run `make contract`)"
                for name in differences(folder)]
    problems += compatibility_problems(read_published(folder), published_schemas())
    for name, document in read_published(folder).items():
        try:
            Draft202012Validator.check_schema(document)
        except SchemaError as exc:
            problems.append(f"schemas/{name} is not valid JSON Schema: {exc.message}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="contract", description=__doc__.split("\n", 1)[0])
    parser.add_argument("command", choices=("write", "check"))
    parser.add_argument("folder", nargs="?", type=Path, default=Path("docs/contract"))
    parser.add_argument("--force", action="store_true",
                        help="write even when the schemas break the published contract")
    args = parser.parse_args(argv)
    if args.command == "check":
        problems = check(args.folder)
        print("\n".join(problems) or f"{args.folder}: up to date, compatible, valid JSON Schema",
              file=sys.stderr if problems else sys.stdout)
        return 1 if problems else 0
    problems = compatibility_problems(read_published(args.folder), published_schemas())
    if problems and not args.force:
        print("The schemas break the published contract:", *problems, sep="\n  ", file=sys.stderr)
        print("Publish a new major instead (or pass --force to overwrite anyway).", file=sys.stderr)
        return 1
    changed = write(args.folder)
    print("\n".join(f"wrote {args.folder / c}" for c in changed) or f"{args.folder} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
