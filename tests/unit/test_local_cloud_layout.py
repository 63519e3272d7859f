"""The local cloud stays a small facade over single-job modules.

Every module under edgeguard_tools/local/ is at most 400 lines; the delivery modules (and
every other part) get narrow interfaces and never import the ``cloud`` facade module, so
the parts cannot grow back into it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import edgeguard_tools.local

LOCAL = Path(edgeguard_tools.local.__file__).parent
MAX_LINES = 400
FACADE = "edgeguard_tools.local.cloud"
MODULES = sorted(LOCAL.rglob("*.py"))
DELIVERY = sorted((LOCAL / "delivery").glob("*.py"))


def _module(path: Path) -> str:
    """The dotted name of a module file under edgeguard_tools/local/."""
    parts = path.relative_to(LOCAL.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(text: str, package: str) -> set[str]:
    """Every module an ``import``/``from ... import`` names; relative ones from ``package``."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            out |= {f"{base}.{alias.name}" for alias in node.names}
    return out


def _imports_of(path: Path) -> set[str]:
    name = _module(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return _imports(path.read_text(encoding="utf-8"), package)


def test_the_layout_is_what_the_checks_expect():
    assert (LOCAL / "cloud.py") in MODULES
    assert {p.stem for p in DELIVERY} >= {"eventbridge", "sns", "sqs", "streams"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(LOCAL)))
def test_no_module_of_the_local_cloud_exceeds_400_lines(path: Path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(LOCAL)} has {lines} lines (> {MAX_LINES})"


@pytest.mark.parametrize("path", DELIVERY, ids=lambda p: p.name)
def test_no_delivery_module_imports_the_facade(path: Path):
    assert FACADE not in _imports_of(path)


@pytest.mark.parametrize(
    "path", [p for p in MODULES if p.name != "cloud.py"], ids=lambda p: str(p.relative_to(LOCAL))
)
def test_no_part_of_the_local_cloud_imports_the_facade(path: Path):
    assert FACADE not in _imports_of(path)


@pytest.mark.parametrize(
    "text",
    [
        "from edgeguard_tools.local.cloud import LocalCloud",
        "import edgeguard_tools.local.cloud",
        "from edgeguard_tools.local import cloud",
        "from .. import cloud",
        "from ..cloud import LocalCloud",
    ],
)
def test_the_import_check_sees_a_facade_import(text: str):
    assert FACADE in _imports(text, "edgeguard_tools.local.delivery")
