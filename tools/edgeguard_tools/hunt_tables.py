"""The hunt's Glue tables as ``template.yaml`` declares them (``Hunt*Table`` resources).

The local hunt builds its DuckDB views from these (names, columns in order, the ALB
table's ``input.regex``), so nothing re-declares a table schema by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgeguard_tools.local.template_file import default_template_path, load_template

#: Glue table resource of each hunt source role (edgeguard.hunt.sources.ROLES).
TABLE_RESOURCES = {
    "cloudfront_legacy": "HuntCloudFrontLegacyTable",
    "cloudfront_v2": "HuntCloudFrontV2Table",
    "alb": "HuntAlbTable",
    "waf": "HuntWafTable",
}


@dataclass(frozen=True)
class GlueTable:
    """One table: its name, columns (name, type) in order, partition keys, and the
    RegexSerDe ``input.regex`` when it has one ("" otherwise)."""

    name: str
    typed_columns: tuple[tuple[str, str], ...]
    partition_keys: tuple[str, ...]
    regex: str

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(name for name, _ in self.typed_columns)


@dataclass(frozen=True)
class GlueTables:
    """Every hunt table by role."""

    tables: dict[str, GlueTable]


def glue_tables(template: Path | None = None) -> GlueTables:
    """Read the hunt tables from ``template`` (default: the project's template.yaml).

    Raises TemplateError (not a template) or KeyError (a Hunt*Table resource missing).
    """
    document = load_template(template or default_template_path())
    resources: dict[str, Any] = document["Resources"]
    tables = {}
    for role, logical_id in TABLE_RESOURCES.items():
        table_input = resources[logical_id]["Properties"]["TableInput"]
        storage = table_input["StorageDescriptor"]
        serde = storage.get("SerdeInfo", {})
        parameters = serde.get("Parameters", {}) if isinstance(serde, dict) else {}
        tables[role] = GlueTable(
            name=table_input["Name"],
            typed_columns=tuple((c["Name"], c["Type"]) for c in storage["Columns"]),
            partition_keys=tuple(k["Name"] for k in table_input.get("PartitionKeys", [])),
            regex=str(parameters.get("input.regex", "")),
        )
    return GlueTables(tables)
