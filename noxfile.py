"""Developer sessions: ``nox -s tests tests_pandas2 spark lint typecheck docs`` is what CI runs."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "tests_pandas2", "spark", "lint", "typecheck", "docs"]

PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite and the docstring examples (latest pandas), one worker a core."""
    session.install("-e", ".[test,plot]")
    session.run("pytest", "-n", "auto", *session.posargs)


@nox.session(name="tests_pandas2", python=PYTHON)
def tests_pandas2(session: nox.Session) -> None:
    """Run the test suite on the oldest supported pandas (2.2)."""
    session.install("-e", ".[test,plot]", "pandas>=2.2,<2.3")
    session.run("pytest", "-n", "auto", "-m", "not slow", *session.posargs)


def _java_major() -> int:
    """Major version of the ``java`` on PATH, 0 when there is none."""
    if shutil.which("java") is None:
        return 0
    done = subprocess.run(["java", "-version"], check=False, capture_output=True, text=True)
    banner = done.stderr
    found = re.search(r'version "(\d+)', banner)
    return int(found.group(1)) if found else 0


def _ensure_java(session: nox.Session) -> None:
    """PySpark 4 needs Java 17+: install the machine's package when it is missing."""
    if _java_major() >= 17:
        return
    if shutil.which("apt-get") is None:
        session.error("PySpark needs Java 17 or newer on PATH; install a JDK/JRE 17+")
    sudo = [] if shutil.which("sudo") is None else ["sudo"]
    session.run(*sudo, "apt-get", "update", "-qq", external=True)
    session.run(
        *sudo,
        "apt-get",
        "install",
        "-y",
        "-qq",
        "--no-install-recommends",
        "openjdk-17-jre-headless",
        external=True,
    )


@nox.session(python=PYTHON)
def spark(session: nox.Session) -> None:
    """Backend-parity tests on a local PySpark (``local[2]``, UI off, 127.0.0.1).

    Only tests that run on the ``pyspark`` backend are selected. pandas stays below 3,
    the range PySpark 4 supports.
    """
    _ensure_java(session)
    session.install("-e", ".[test,spark]", "pandas>=2.2,<3")
    session.run("pytest", *session.posargs, env={"CRM_TEST_SPARK": "1"})


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Ruff lint and format check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package."""
    session.install("-e", ".[typecheck]")
    session.run("mypy", "--strict", "src")


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the Sphinx site with warnings as errors."""
    session.install("-e", ".[docs]")
    session.run(
        "sphinx-build",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "docs",
        "docs/_build/html",
        *session.posargs,
    )


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Run the benchmarks (slow; not part of CI). Pass a script name to run one."""
    session.install("-e", ".[bench]")
    scripts = session.posargs or sorted(str(p) for p in Path("benchmarks").glob("bench_*.py"))
    for script in scripts:
        session.run("python", script)
