"""Developer sessions: ``nox -s tests tests_pandas2 lint typecheck docs`` is what CI runs."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "tests_pandas2", "lint", "typecheck", "docs"]

PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite and the docstring examples (latest pandas)."""
    session.install("-e", ".[test,plot]")
    session.run("pytest", *session.posargs)


@nox.session(name="tests_pandas2", python=PYTHON)
def tests_pandas2(session: nox.Session) -> None:
    """Run the test suite on the oldest supported pandas (2.2)."""
    session.install("-e", ".[test,plot]", "pandas>=2.2,<2.3")
    session.run("pytest", "-m", "not slow", *session.posargs)


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
