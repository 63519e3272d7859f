"""Lambda package sizes after ``sam build`` and each handler's cold-start import time.

Size: each function's build directory plus every layer it gets (Globals + its own), unzipped,
against Lambda's 250 MB limit. Import time: a fresh interpreter imports the built handler with
the built layers on sys.path (as /opt/python) and the function's template environment (from
the local cloud); only the import is timed, not the interpreter's own start. AWS endpoints
point at a closed local port, so a cold start that calls AWS fails fast instead of waiting.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from edgeguard_tools.local.template import load_template

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / ".aws-sam" / "build"
LIMIT_MB = 250
REPEAT = 3  # cold starts per handler; the median is shown

_IMPORT = r"""
import importlib.util, json, sys, time
function_dir, layer_dirs = sys.argv[1], json.loads(sys.argv[2])
sys.path[:0] = [function_dir, *layer_dirs]
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", function_dir + "/app.py")
module = importlib.util.module_from_spec(spec)
error = ""
try:
    spec.loader.exec_module(module)
except Exception as exc:
    error = type(exc).__name__ + ": " + str(exc)[:120]
print(json.dumps({"seconds": time.perf_counter() - started, "error": error}))
"""


def _size(path: Path) -> int:
    total = 0
    for directory, _, files in os.walk(path):
        for name in files:
            total += os.lstat(os.path.join(directory, name)).st_size
    return total


def _layers(template: dict[str, Any], props: dict[str, Any]) -> list[str]:
    """Logical ids of the layers a function gets: Globals' then its own (SAM appends)."""
    listed = list(template.get("Globals", {}).get("Function", {}).get("Layers") or [])
    listed += list(props.get("Layers") or [])
    return [layer["Ref"] for layer in listed if isinstance(layer, dict) and "Ref" in layer]


def _ensure_built() -> None:
    if (BUILD / "template.yaml").exists():
        return
    sam = Path(sys.executable).with_name("sam")
    subprocess.run(  # the same command as `make build`
        [str(sam), "build", "--build-dir", str(BUILD), "--cached", "--parallel"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
    )


def _environments(logical_ids: list[str]) -> dict[str, dict[str, str]]:
    """Each function's template environment, resolved by the local cloud."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    import boto3  # noqa: PLC0415
    from moto import mock_aws  # noqa: PLC0415 - moto only when benchmarking

    from edgeguard_tools.local.cloud import LocalCloud  # noqa: PLC0415

    # optional functions switched on, so that each one is measured (Security Hub must be
    # enabled before the stack creates its custom action, as in an account)
    with mock_aws():
        boto3.client("securityhub", region_name="us-east-1").enable_security_hub()
        return _deployed_environments(LocalCloud, logical_ids)


def _deployed_environments(cloud_type: Any, logical_ids: list[str]) -> dict[str, dict[str, str]]:
    with cloud_type(parameters={"EnableSecurityHubAction": "true"}, quiet=True) as cloud:
        deployed = cloud.template.resources()
        return {
            logical_id: cloud.function_environment(logical_id) if logical_id in deployed else {}
            for logical_id in logical_ids
        }


def _import_seconds(function_dir: Path, layer_dirs: list[Path], env: dict[str, str]) -> str:
    base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    child_env = (
        base
        | env
        | {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # refused at once: no call leaves the host
            "AWS_MAX_ATTEMPTS": "1",
            "POWERTOOLS_TRACE_DISABLED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",  # as on Lambda's read-only /opt: no .pyc is written
        }
    )
    arguments = [str(function_dir), json.dumps([str(path) for path in layer_dirs])]
    timings, error = [], ""
    for _ in range(REPEAT):
        completed = subprocess.run(
            [sys.executable, "-c", _IMPORT, *arguments],
            env=child_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        lines = completed.stdout.strip().splitlines()
        if completed.returncode != 0 or not lines:
            return f"failed: {completed.stderr.strip().splitlines()[-1:]}"
        result = json.loads(lines[-1])
        timings.append(result["seconds"])
        error = result["error"]
    median = sorted(timings)[len(timings) // 2]
    return f"{median * 1000:,.0f} ms" + (f" (then {error})" if error else "")


def run() -> list[tuple[str, str]]:
    _ensure_built()
    built = load_template(BUILD / "template.yaml")
    resources = built["Resources"]
    functions = {
        logical_id: resource.get("Properties") or {}
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::Serverless::Function"
    }
    environments = _environments(sorted(functions))
    rows = []
    for logical_id, props in sorted(functions.items()):
        function_dir = BUILD / str(props["CodeUri"])
        layers = {
            layer: BUILD / str(resources[layer]["Properties"]["ContentUri"])
            for layer in _layers(built, props)
        }
        code = _size(function_dir)
        layer_sizes = {layer: _size(path) for layer, path in layers.items()}
        parts = " + ".join(f"{layer} {size / 1e6:.1f} MB" for layer, size in layer_sizes.items())
        total = (code + sum(layer_sizes.values())) / 1e6
        rows.append(
            (
                f"{logical_id} unzipped",
                f"{total:.1f} MB of {LIMIT_MB} MB (code {code / 1e3:.0f} KB + {parts})",
            )
        )
        python_dirs = [path / "python" for path in layers.values()]
        env = environments[logical_id]
        rows.append((f"{logical_id} import", _import_seconds(function_dir, python_dirs, env)))
    return rows
