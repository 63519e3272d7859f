"""The package imports without AWS, and handlers fail at cold start naming what is missing.

Each check runs in a fresh interpreter with an empty environment, ``AWS_CONFIG_FILE``
pointing nowhere, boto3 client creation patched to raise, the boto3 type stubs
(``mypy_boto3_*``, dev-only: imported under ``TYPE_CHECKING``) made unimportable as in the
Lambda layer, and ``os.environ`` replaced by a spy that records reads made by edgeguard's
own code (not by libraries it imports).
The tools package (``edgeguard_tools``) is not Lambda code and is not checked here.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import edgeguard
from edgeguard_tools.local.template import default_template_path, load_template

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = Path(edgeguard.__file__).resolve().parent
DEV_ONLY: tuple[str, ...] = ()  # the runtime package holds no dev-only module
FUNCTIONS = sorted(path.parent.name for path in (ROOT / "functions").glob("*/app.py"))

# Runs in the child interpreter: argv[1] is a JSON list of modules to import (or of
# function directories to import app.py from); prints one JSON report.
PROBE = r"""
import importlib, importlib.util, json, os, sys, traceback

PACKAGE_DIR, DEV_ONLY, KIND = sys.argv[1], tuple(json.loads(sys.argv[2])), sys.argv[3]
TARGETS = json.loads(sys.argv[4])
sys.path[:0] = sys.argv[5:]
reads = []

def _own_caller():
    frame = sys._getframe(2)
    while frame is not None and (
        frame.f_code.co_filename in (os.__file__, "<string>")
        or frame.f_code.co_filename.startswith("<frozen")
        or frame.f_code.co_filename.endswith("_collections_abc.py")
    ):
        frame = frame.f_back
    name = frame.f_code.co_filename if frame is not None else ""
    dev = any(name.startswith(os.path.join(PACKAGE_DIR, part.split(".")[1])) for part in DEV_ONLY)
    return name if name.startswith(PACKAGE_DIR) and not dev else None

class Spy(type(os.environ)):
    def __getitem__(self, key):
        caller = _own_caller()
        if caller:
            reads.append([key, caller])
        return super().__getitem__(key)

env = os.environ
os.environ = Spy(env._data, env.encodekey, env.decodekey, env.encodevalue, env.decodevalue)

import boto3, boto3.session

class ClientCreated(Exception):
    pass

def _refuse(*args, **kwargs):
    raise ClientCreated(f"boto3 client created at import: {args[:2]!r}")

boto3.client = _refuse
boto3.resource = _refuse
boto3.session.Session.client = _refuse
boto3.session.Session.resource = _refuse

class NoTypeStubs:  # the layer ships boto3 without boto3-stubs
    def find_spec(self, name, path=None, target=None):
        if name.startswith("mypy_boto3_"):
            raise ModuleNotFoundError(f"No module named {name!r} (not in the Lambda layer)")
        return None

sys.meta_path.insert(0, NoTypeStubs())

results = {}
for target in TARGETS:
    reads.clear()
    try:
        if KIND == "module":
            importlib.import_module(target)
        else:
            name = "app_" + os.path.basename(target)
            spec = importlib.util.spec_from_file_location(name, os.path.join(target, "app.py"))
            sys.path.insert(0, target)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        error = None
    except BaseException as exc:
        trace = traceback.format_exc()[-1500:]
        error = {"type": type(exc).__name__, "message": str(exc), "trace": trace}
    results[target] = {"error": error, "env_reads": list(reads)}
print(json.dumps(results))
"""


def _probe(
    kind: str,
    targets: list[str],
    package_dir: Path = PACKAGE_DIR,
    path: tuple[str, ...] = (),
    runtime: dict[str, str] | None = None,
) -> dict[str, dict]:
    """Import the targets in a fresh interpreter with no environment and no way to reach AWS."""
    nowhere = {
        "AWS_CONFIG_FILE": "/nonexistent/config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        **(runtime or {}),
    }
    arguments = [str(package_dir), json.dumps(DEV_ONLY), kind, json.dumps(targets), *path]
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, *arguments],
        env=nowhere,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def package_modules() -> list[str]:
    """Every module of the edgeguard package except the dev-only ones."""
    names = ["edgeguard"]
    for info in pkgutil.walk_packages([str(PACKAGE_DIR)], prefix="edgeguard."):
        if not info.name.startswith(DEV_ONLY) and not info.name.endswith(".__main__"):
            names.append(info.name)
    return sorted(names)


def test_every_package_module_imports_without_aws_or_environment() -> None:
    modules = package_modules()
    assert len(modules) > 40 and "edgeguard.waf.service" in modules
    results = _probe("module", modules)
    failed = {name: result["error"] for name, result in results.items() if result["error"]}
    reads = {name: result["env_reads"] for name, result in results.items() if result["env_reads"]}
    assert failed == {}
    assert reads == {}


def _template_variables() -> dict[str, set[str]]:
    """Function directory -> the environment variables template.yaml gives it."""
    template = load_template(default_template_path())
    variables: dict[str, set[str]] = {}
    for resource in template["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties") or {}
        name = Path(str(props.get("CodeUri", ""))).name
        variables[name] = set(((props.get("Environment") or {}).get("Variables") or {}).keys())
    return variables


def test_handlers_fail_at_cold_start_naming_the_missing_variable() -> None:
    template_variables = _template_variables()
    assert set(FUNCTIONS) <= set(template_variables)  # every function is deployed by the template
    # Lambda itself always sets these; the template's variables are the ones left out.
    runtime = {"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}
    directories = [str(ROOT / "functions" / name) for name in FUNCTIONS]
    results = _probe("function", directories, runtime=runtime)
    for name in FUNCTIONS:
        result = results[str(ROOT / "functions" / name)]
        needed = template_variables[name]
        if not needed:  # nothing to configure: the handler imports cleanly
            assert result["error"] is None, (name, result["error"])
            continue
        error = result["error"]
        assert error is not None, f"{name}: imported with none of {sorted(needed)} set"
        assert error["type"] == "ConfigError", (name, error)
        named = [variable for variable in needed if variable in error["message"]]
        assert named, (name, error["message"], sorted(needed))


def test_the_probe_sees_an_environment_read_and_a_client(tmp_path: Path) -> None:
    """The spy and the patched boto3 really catch what they are for (a module made to offend)."""
    package = tmp_path / "offending"
    package.mkdir()
    (package / "__init__.py").write_text(
        "import os\nimport boto3\nREGION = os.environ.get('EDGEGUARD_REGION')\n"
        "READY = 'EDGEGUARD_READY' in os.environ\nCLIENT = boto3.client('sns')\n",
        encoding="utf-8",
    )
    results = _probe("module", ["offending"], package_dir=package, path=(str(tmp_path),))
    result = results["offending"]
    assert [read[0] for read in result["env_reads"]] == ["EDGEGUARD_REGION", "EDGEGUARD_READY"]
    assert result["error"]["type"] == "ClientCreated"


def test_the_probe_refuses_the_type_stubs(tmp_path: Path) -> None:
    """A module that needs boto3-stubs at run time fails the probe (the layer has none)."""
    package = tmp_path / "typed"
    package.mkdir()
    (package / "__init__.py").write_text("from mypy_boto3_sns import SNSClient\n", encoding="utf-8")
    results = _probe("module", ["typed"], package_dir=package, path=(str(tmp_path),))
    error = results["typed"]["error"]
    assert error["type"] == "ModuleNotFoundError" and "mypy_boto3_sns" in error["message"]
