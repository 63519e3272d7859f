"""The written boundary between the runtime package (the Lambda layer) and the tools
package, and the allowed import directions inside the runtime package.

- The layer's folder (template.yaml's EdgeguardLayer ContentUri) holds no tools code,
  and every module in it imports with moto, PyYAML and edgeguard_tools absent.
- Runtime never imports tools; ``decisions`` and the foundation modules are leaves;
  no capability imports another capability's ``service`` module; the package-level
  import graph has no cycle.
- Handlers reach their capability through its ``service`` module (plus the shared
  leaves), so ``<capability>/service.py`` is the one Lambda-facing entry.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import edgeguard
import edgeguard_tools
from edgeguard_tools.local.template import default_template_path, load_template

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = Path(edgeguard.__file__).resolve().parent
TOOLS = Path(edgeguard_tools.__file__).resolve().parent
FOUNDATION = {"clock", "config", "errors", "idempotency", "__init__"}
# Capabilities any other may use: decisions (the decision every path produces) and the
# alert every automation publishes (with its digest).
SHARED = {"decisions", "notify.alert"}
BLOCKED = ("moto", "yaml", "edgeguard_tools", "pytest", "hypothesis", "responses")
# A capability that is another front end of one capability's service, with the reason.
SERVICE_FRONT_ENDS = {
    # The chat is the circuit breaker reached from Telegram: it must validate, record,
    # announce and refuse with the very code the CLI runs (issue 19). The breaker has no
    # function of its own; its service is the operators' entry, whichever the channel.
    ("chatops", "breaker"),
}


def layer_folder() -> Path:
    props = load_template(default_template_path())["Resources"]["EdgeguardLayer"]["Properties"]
    return ROOT / str(props["ContentUri"])


def modules_in(folder: Path, package: str) -> Iterator[tuple[str, Path]]:
    base = folder / package
    for path in sorted(base.rglob("*.py")):
        parts = path.relative_to(folder).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def imports_of(path: Path) -> set[str]:
    """Every absolute module name a file imports, at any depth (lazy imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


ALERT_LEAF = ("alert", "digest", "console", "wording", "redact")


def unit_of(module: str) -> str:
    """The import unit of a runtime module: its capability (``waf``), a foundation
    module (``config``), or ``notify.alert`` (a shared leaf inside notify: the alert, its
    digest, and what alerts are written with: console links, wording, redaction)."""
    parts = module.split(".")[1:]
    if not parts:
        return "__init__"
    if parts[:1] == ["notify"] and parts[1:2] and parts[1] in ALERT_LEAF:
        return "notify.alert"  # the alert and its digest are one shared leaf
    return parts[0]


def runtime_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in modules_in(RUNTIME.parent, "edgeguard"):
        source = unit_of(name)
        targets = graph.setdefault(source, set())
        for imported in imports_of(path):
            if imported.startswith("edgeguard.") and imported.split(".")[1:]:
                target = unit_of(imported)
                if (target != source and (RUNTIME / target.split(".")[0]).exists()) or (
                    RUNTIME / f"{target}.py"
                ).exists():
                    targets.add(target)
        targets.discard(source)
    return graph


def test_layer_folder_holds_only_the_runtime_package() -> None:
    folder = layer_folder()
    assert folder.resolve() == RUNTIME.parent
    packages = {p.name for p in folder.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == {"edgeguard"}
    assert not list(folder.rglob("edgeguard_tools"))
    offenders = {
        name: sorted(i for i in imports_of(path) if i.split(".")[0] in BLOCKED)
        for name, path in modules_in(folder, "edgeguard")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


PROBE = r"""
import importlib, importlib.abc, json, pkgutil, sys
folder, blocked = sys.argv[1], tuple(sys.argv[2].split(","))

class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"{name} is not in the layer", name=name)
        return None

sys.meta_path.insert(0, Absent())
sys.path.insert(0, folder)
import edgeguard
assert edgeguard.__file__.startswith(folder), edgeguard.__file__
failed, names = {}, ["edgeguard"]
for info in pkgutil.walk_packages(edgeguard.__path__, prefix="edgeguard."):
    names.append(info.name)
for name in names:
    try:
        importlib.import_module(name)
    except BaseException as error:
        failed[name] = f"{type(error).__name__}: {error}"
print(json.dumps({"imported": len(names) - len(failed), "failed": failed}))
"""


def probe_layer(folder: Path) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, str(folder), ",".join(BLOCKED)],
        env={"PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": "us-east-1"},
        cwd="/",
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_every_layer_module_imports_with_tools_and_moto_absent() -> None:
    report = probe_layer(layer_folder())
    assert report["failed"] == {}
    assert report["imported"] > 60


def test_built_layer_holds_no_tools_code() -> None:
    """After ``sam build`` (``make test`` builds before it tests; CI always has it)."""
    built = ROOT / ".aws-sam" / "build" / "EdgeguardLayer" / "python"
    if not built.exists():
        if os.environ.get("CI"):
            pytest.fail("CI runs pytest after sam build, but .aws-sam/build has no layer")
        pytest.skip("no sam build output here; `make test` builds it first")
    assert not list(built.rglob("edgeguard_tools*"))
    assert not (built / "moto").exists()
    report = probe_layer(built)
    assert report["failed"] == {}


def test_the_probe_notices_a_forbidden_import(tmp_path: Path) -> None:
    package = tmp_path / "edgeguard"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "offender.py").write_text("import moto\n")
    report = probe_layer(tmp_path)
    assert list(report["failed"]) == ["edgeguard.offender"]


def test_runtime_never_imports_tools() -> None:
    offenders = [
        name
        for name, path in modules_in(RUNTIME.parent, "edgeguard")
        if any(i.split(".")[0] == "edgeguard_tools" for i in imports_of(path))
    ]
    assert offenders == []


def test_decisions_and_foundation_are_leaves() -> None:
    graph = runtime_graph()
    assert graph["decisions"] <= FOUNDATION, graph["decisions"]
    for unit in FOUNDATION & set(graph):
        assert graph[unit] <= FOUNDATION, (unit, graph[unit])
    assert graph["notify.alert"] <= FOUNDATION, graph["notify.alert"]


def test_no_capability_imports_another_capabilitys_service() -> None:
    offenders = []
    for name, path in modules_in(RUNTIME.parent, "edgeguard"):
        own = unit_of(name)
        for imported in imports_of(path):
            parts = imported.split(".")
            is_service = parts[0] == "edgeguard" and len(parts) >= 3 and parts[2] == "service"
            if is_service and parts[1] != own and (own, parts[1]) not in SERVICE_FRONT_ENDS:
                offenders.append((name, imported))
    assert offenders == []


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """A cycle in the graph as a path (first node repeated at the end), or []."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_runtime_import_graph_has_no_cycle() -> None:
    graph = runtime_graph()
    assert {"decisions", "waf", "logs", "findings", "breaker"} <= set(graph)
    assert find_cycle(graph) == []


def test_find_cycle_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_tools_and_runtime_only_import_one_way() -> None:
    """Tools may use runtime; nothing outside tools/ and tests reaches into tools
    except the bench and the console script."""
    for name, path in modules_in(RUNTIME.parent, "edgeguard"):
        assert not any(i.startswith("edgeguard_tools") for i in imports_of(path)), name
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        assert not any(i.startswith("edgeguard_tools") for i in imports_of(app)), app


def test_handlers_enter_their_capability_through_its_service_module() -> None:
    allowed_shared = {
        "edgeguard.decisions",
        "edgeguard.idempotency",
        "edgeguard.notify.alert",
        "edgeguard.notify.digest",
    }
    offenders = {}
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        modules = {
            i
            for i in imports_of(app)
            if (i.startswith("edgeguard.") and (RUNTIME / Path(*i.split(".")[1:])).exists())
            or (
                i.startswith("edgeguard.")
                and (RUNTIME / Path(*i.split(".")[1:])).with_suffix(".py").exists()
            )
        }
        wrong = sorted(
            m
            for m in modules
            if m not in allowed_shared and not (m.endswith(".service") and m.count(".") == 2)
        )
        if wrong:
            offenders[app.parent.name] = wrong
    assert offenders == {}
