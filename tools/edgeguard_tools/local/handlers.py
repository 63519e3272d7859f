"""Load a function's handler from ``functions/<name>/app.py`` and call it in process,
with a Lambda-like context, the way the local cloud and the tests run functions."""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from edgeguard_tools.events import project_root

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LocalContext:
    """The parts of the Lambda context object that handlers and Powertools read."""

    function_name: str = "local"
    timeout_seconds: float = 30.0
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    _started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if not self.invoked_function_arn:
            self.invoked_function_arn = (
                f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
            )

    def get_remaining_time_in_millis(self) -> int:
        left = self.timeout_seconds - (time.monotonic() - self._started)
        return max(0, int(left * 1000))


@contextmanager
def environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a call, then restore them."""
    saved = {key: os.environ.get(key) for key in variables}
    os.environ.update({key: str(value) for key, value in variables.items()})
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def load_module(code_uri: str, module_file: str = "app", fresh: bool = False) -> ModuleType:
    """Import ``<code_uri>/<module_file>.py`` under a unique name (every function has app.py).

    The module runs its cold-start code (configuration) on import, so import it with
    the function's environment in place; ``fresh`` forces a new cold start.
    """
    path = (project_root() / code_uri / f"{module_file}.py").resolve()
    name = "edgeguard_fn_" + "_".join(path.parent.parts[-2:]).replace("-", "_") + "_" + module_file
    if not fresh and name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def load_handler(code_uri: str, handler: str = "app.handler", fresh: bool = False) -> Handler:
    """Resolve a SAM ``Handler`` string (``module.function``) inside ``code_uri``."""
    module_file, _, function = handler.rpartition(".")
    module = load_module(code_uri, module_file, fresh=fresh)
    target: Handler = getattr(module, function)
    return target
