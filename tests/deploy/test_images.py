"""The service images: one Dockerfile each, linted (hadolint) and checked for what
docs/deploying.md promises: multi-stage, a base pinned to an exact version, a non-root user,
only the shared package and the service itself copied in. No Docker engine is needed: the
install step the images run is run here too, in a fresh virtualenv, and each service migrates a
database."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .tools import IMAGES, REPO, SERVICES, tool

DOCKERFILES = {image: REPO / "services" / image / "Dockerfile" for image in IMAGES}


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


@pytest.mark.parametrize("service", IMAGES)
def test_hadolint_finds_nothing(service):
    result = subprocess.run([tool("hadolint"), "--config", str(REPO / ".hadolint.yaml"),
                             "--no-color", str(DOCKERFILES[service])],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_would_refuse_a_careless_dockerfile(tmp_path):
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python:latest\nRUN pip install flask\n")
    result = subprocess.run([tool("hadolint"), "--config", str(REPO / ".hadolint.yaml"), str(careless)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "DL3007" in result.stdout


@pytest.mark.parametrize("service", IMAGES)
def test_the_image_is_multi_stage_pinned_non_root_and_runs_the_service(service):
    steps = instructions(DOCKERFILES[service])
    bases = [args.split()[0] for keyword, args in steps if keyword == "FROM"]
    assert len(bases) >= 2, "multi-stage: build apart from run"
    for base in bases:
        assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?", base), base
    final = steps[max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM"):]
    (user,) = [args for keyword, args in final if keyword == "USER"]
    assert user.split(":")[0].isdigit() and int(user.split(":")[0]) > 0
    assert ("ENTRYPOINT", f'["python", "-m", "{service}"]') in final
    copied = {args.split()[0] for keyword, args in steps if keyword == "COPY" and "--from" not in args}
    assert copied == {"constraints.txt", "shared/", f"services/{service}/"}, "buildable alone"


def test_the_packages_the_images_install_carry_their_migrations_and_run(tmp_path):
    """What the build stage installs, without Docker: wheels of the shared package and every
    service (not the editable source tree), unpacked and imported first; each service's schema
    step then brings a database to head from what the wheels carry."""
    wheels, unpacked, sources = tmp_path / "wheels", tmp_path / "site", tmp_path / "src"
    # setuptools builds inside the project it is given: give it copies, so the checkout stays as
    # it was (no build/ folders), as the image's build stage copies them.
    leftovers = shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    projects = [REPO / "shared", *(REPO / "services" / s for s in SERVICES)]
    for project in projects:
        shutil.copytree(project, sources / project.name, ignore=leftovers)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-w", str(wheels), *(str(sources / p.name) for p in projects)],
        capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    for wheel in wheels.glob("*.whl"):
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(unpacked)
    for service in SERVICES:
        url = f"sqlite:///{tmp_path / (service + '.db')}"
        migrated = subprocess.run(
            [sys.executable, "-W", "ignore", "-c",
             f"import runpy, {service}; print({service}.__file__); "
             f"runpy.run_module('{service}', run_name='__main__')", "migrate"],
            cwd=tmp_path, capture_output=True, text=True, timeout=120,
            env={**os.environ, "PYTHONPATH": str(unpacked),
                 f"DISPUTES_{service.upper()}_DATABASE_URL": url})
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        module_file, message = migrated.stdout.splitlines()[:2]
        assert module_file.startswith(str(unpacked)), "imported from the wheel, not the source tree"
        assert message == f"{service}: schema at head"


def test_the_portals_package_carries_its_pages_and_catalogues(tmp_path):
    """The image installs the portal from a wheel: its templates and .po files must be in it."""
    source = tmp_path / "portal"
    shutil.copytree(REPO / "services" / "portal", source,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-w", str(tmp_path / "wheels"), str(source)],
        capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (tmp_path / "wheels").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    pages = {p.name for p in (REPO / "services/portal/portal/templates").glob("*.html")}
    assert {f"portal/templates/{page}" for page in pages} <= names
    assert "portal/translations/zh_CN/LC_MESSAGES/messages.po" in names


def test_the_analytics_image_has_the_libraries_its_pdf_reports_need():
    """WeasyPrint needs Pango, HarfBuzz and a CJK font from the system: the image's run stage
    installs (pinned) the packages scripts/setup.sh installs on a developer's machine."""
    wanted = re.search(r"^PDF_PACKAGES=\((.*)\)$", (REPO / "scripts/setup.sh").read_text(), re.M)
    assert wanted is not None
    steps = instructions(DOCKERFILES["analytics"])
    final = steps[max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM"):]
    installed = {word.split("=")[0]: word for keyword, args in final if keyword == "RUN"
                 for word in args.split() if "=" in word and not word.startswith("-")}
    for package in wanted.group(1).split():
        assert package in installed and installed[package].count("=") == 1, package
