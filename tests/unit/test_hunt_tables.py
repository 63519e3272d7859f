"""The hunt's Glue tables (template.yaml) match the documented field lists the parsers
read, and the hunt SQL reads only columns those tables have."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlglot
from sqlglot import exp

from edgeguard.hunt.sources import ROLES, sources
from edgeguard.logs import alb, waf
from edgeguard.logs.cloudfront_fields import LEGACY_FIELDS, V2_DEFAULT_FIELDS, athena_column
from edgeguard_tools import log_samples as samples
from edgeguard_tools.hunt_tables import TABLE_RESOURCES, glue_tables
from edgeguard_tools.local.template_file import default_template_path, load_template

TABLES = glue_tables().tables
RESOURCES = load_template(default_template_path())["Resources"]


def test_legacy_cloudfront_table_has_the_33_documented_fields_in_order():
    assert TABLES["cloudfront_legacy"].columns == tuple(athena_column(f) for f in LEGACY_FIELDS)


def test_v2_table_has_the_default_selection_in_order_then_the_epoch_times():
    expected = (*(athena_column(f) for f in V2_DEFAULT_FIELDS), "timestamp", "timestamp_ms")
    assert TABLES["cloudfront_v2"].columns == expected
    assert TABLES["cloudfront_v2"].partition_keys == (
        "distributionid",
        "year",
        "month",
        "day",
        "hour",
    )


def test_v2_json_mapping_names_every_column_by_its_json_key():
    serde = RESOURCES["HuntCloudFrontV2Table"]["Properties"]["TableInput"]["StorageDescriptor"][
        "SerdeInfo"
    ]
    json_branch = serde["Fn::If"][2]["Fn::If"][1]
    assert json_branch["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    mapping = {
        key.removeprefix("mapping."): value
        for key, value in json_branch["Parameters"].items()
        if key.startswith("mapping.")
    }
    for field in (*V2_DEFAULT_FIELDS, "timestamp", "timestamp(ms)"):
        column = athena_column(field)
        # The OpenX SerDe matches keys case-insensitively (lower case); same-named keys
        # need no mapping.
        assert mapping.get(column, column) == field.lower()


def test_alb_table_has_the_documented_fields_and_its_regex_one_group_each():
    table = TABLES["alb"]
    assert table.columns == alb.DOCUMENTED_FIELDS
    assert re.compile(table.regex).groups == len(table.columns)


def test_alb_regex_splits_a_documented_line_into_its_fields():
    when = datetime(2026, 11, 20, 14, 0, 5, tzinfo=UTC)
    line = samples.alb_line(
        when, "198.51.100.7", "/search", 404, "q=%27+or+1%3D1", ua="sqlmap/1.8", method="POST"
    )
    match = re.fullmatch(TABLES["alb"].regex, line)
    assert match, line
    fields = dict(zip(TABLES["alb"].columns, match.groups(), strict=True))
    assert fields["client_ip"] == "198.51.100.7"
    assert fields["elb_status_code"] == "404"
    assert fields["request_verb"] == "POST"
    assert fields["request_url"].endswith("/search?q=%27+or+1%3D1")
    assert fields["user_agent"] == "sqlmap/1.8"
    assert fields["time"].startswith("2026-11-20T14:00:05")


def _struct_fields(type_text: str) -> set[str]:
    return {name.lower() for name in re.findall(r"(\w+):", type_text)}


def test_waf_table_declares_every_field_the_parser_reads():
    typed = dict(TABLES["waf"].typed_columns)
    for field in waf.FIELDS_READ:
        top, _, inner = field.lower().partition(".")
        assert top in typed, field
        if inner:
            assert inner in _struct_fields(typed[top]), field


@pytest.mark.parametrize("role", ROLES)
def test_hunt_sql_reads_only_columns_the_table_has(role):
    table = TABLES[role]
    (source,) = sources({role: table.name})
    select = source.select(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC))
    tree = sqlglot.parse_one(select, read="trino")
    known = {c.lower() for c in table.columns} | set(table.partition_keys)
    used = {column.name.lower() for column in tree.find_all(exp.Column) if not column.table}
    # Lambda parameters and struct members (h.name, httprequest.uri) are not table columns.
    used -= {"h"}
    heads = {column.table.lower() for column in tree.find_all(exp.Column) if column.table}
    assert used <= known | {"name"}, used - known
    assert heads <= known | {"h"}
    assert set(TABLE_RESOURCES) == set(ROLES)
