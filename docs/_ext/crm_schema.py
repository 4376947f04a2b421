"""Sphinx directive ``.. crm-schema:: NAME``: a table generated from the schema declaration.

The schema reference is never written by hand: this directive reads
``crmanalytics.schema.SCHEMAS`` at build time and renders each table's columns, kinds,
whether they are required, their rules and descriptions.
"""

from __future__ import annotations

from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList

from crmanalytics.schema import SCHEMAS, TableSchema

_KIND = {
    "id": "identifier (any type, kept as given)",
    "datetime": "datetime",
    "float": "float64",
    "str": "string",
}


def schema_rst(schema: TableSchema) -> list[str]:
    """Render one table declaration as a reStructuredText list-table."""
    lines = [
        f"**{schema.name}**: {schema.description}",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 18 18 10 27 27",
        "",
        "   * - column",
        "     - type",
        "     - required",
        "     - rules",
        "     - meaning",
    ]
    for spec in schema.columns:
        lines += [
            f"   * - ``{spec.name}``",
            f"     - {_KIND[spec.kind]}",
            f"     - {'yes' if spec.required else 'no'}",
            f"     - {spec.rule_text() or '-'}",
            f"     - {spec.description}",
        ]
    lines += ["", "Columns not listed are passed through untouched.", ""]
    return lines


class SchemaDirective(Directive):
    """Insert the generated table for the schema named in the argument."""

    required_arguments = 1
    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {}

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        if name not in SCHEMAS:
            raise self.error(f"unknown schema {name!r}; known: {sorted(SCHEMAS)}")
        container = nodes.container()
        self.state.nested_parse(
            StringList(schema_rst(SCHEMAS[name])), self.content_offset, container
        )
        return container.children


def setup(app: Any) -> dict[str, Any]:
    """Register the directive."""
    app.add_directive("crm-schema", SchemaDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
