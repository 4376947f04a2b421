"""Every public name is documented with a runnable example, and the CLI works."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys

import pytest

import crmanalytics
from crmanalytics.__main__ import main


def _public_modules() -> list[str]:
    names = ["crmanalytics"]
    for info in pkgutil.walk_packages(crmanalytics.__path__, "crmanalytics."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts[1:]) or "plotting" in parts:
            continue
        names.append(info.name)
    return names


def _public_objects() -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    for module_name in _public_modules():
        module = importlib.import_module(module_name)
        found.append((module_name, module))
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                found.append((f"{module_name}.{name}", obj))
                if inspect.isclass(obj):
                    for attr, member in vars(obj).items():
                        if attr.startswith("_"):
                            continue
                        if inspect.isfunction(member) or isinstance(member, property):
                            found.append((f"{module_name}.{name}.{attr}", member))
    return found


_PUBLIC = _public_objects()


# ids are the dotted names only: object reprs carry memory addresses, which differ
# between processes (pytest-xdist workers must collect the same ids)
@pytest.mark.parametrize(("name", "obj"), _PUBLIC, ids=[name for name, _ in _PUBLIC])
def test_public_name_has_numpydoc_example(name, obj):
    doc = inspect.getdoc(obj)
    assert doc, f"{name} has no docstring"
    if isinstance(obj, type) and issubclass(obj, tuple) and hasattr(obj, "_fields"):
        return  # NamedTuple field accessors are generated
    assert "Examples\n--------" in doc, f"{name} has no Examples section"
    assert ">>>" in doc, f"{name}'s Examples section has no runnable example"


def test_cli_demo_prints_summary(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "2,357 customers" in out


def test_cli_version(capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(["--version"])
    assert excinfo.value.code == 0
    assert crmanalytics.__version__ in capsys.readouterr().out


def test_python_dash_m_entry_point():
    done = subprocess.run(
        [sys.executable, "-m", "crmanalytics", "demo"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "CDNOW" in done.stdout


def test_import_is_light():
    code = (
        "import sys, crmanalytics.schema, crmanalytics.datasets;"
        "heavy = [m for m in ('matplotlib', 'mlxtend', 'sklearn', 'polars', 'duckdb') "
        "if m in sys.modules]; print(heavy)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]"
