"""Sphinx configuration for the crmanalytics documentation."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import crmanalytics  # noqa: E402

project = "crmanalytics"
author = "crmanalytics developers"
copyright = "2026, crmanalytics developers"
release = crmanalytics.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    # MathJax from the package, copied into _static: formulas render without a network
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
    "numpydoc",
    "matplotlib.sphinxext.plot_directive",
    "myst_parser",
    "crm_schema",
    "bench_results",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
templates_path: list[str] = []
nitpicky = False

autodoc_typehints = "none"
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Every documented object must carry an Examples section (EX01); the build fails otherwise.
numpydoc_validation_checks = {"EX01"}
numpydoc_validation_exclude = {r"\.__init__$", r"\._[a-z]"}

plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.figsize": (7.0, 4.2), "figure.autolayout": True}
plot_pre_code = "import numpy as np\nimport pandas as pd\nimport matplotlib.pyplot as plt\n"

html_theme = "pydata_sphinx_theme"
html_title = "crmanalytics"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path: list[str] = []
