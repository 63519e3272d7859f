"""One local cloud for the whole demo: chapters share it, the demo closes it at the end.

Starting a LocalCloud takes a fraction of a second, but only one can run in a process,
so chapters ask for it here instead of opening their own. A chapter that needs other
template parameters gets a fresh cloud started with them (the previous one is closed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edgeguard_tools.local.cloud import LocalCloud


@dataclass
class _Shared:
    cloud: LocalCloud | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


_SHARED = _Shared()


def local_cloud(parameters: dict[str, Any] | None = None) -> LocalCloud:
    """The running demo cloud (template.yaml on moto), started on first use."""
    wanted = dict(parameters or {})
    if _SHARED.cloud is not None and _SHARED.parameters != wanted:
        close()
    if _SHARED.cloud is None:
        from edgeguard_tools.local.cloud import LocalCloud  # noqa: PLC0415 - moto only when used

        _SHARED.cloud = LocalCloud(wanted, quiet=True).__enter__()
        _SHARED.parameters = wanted
    return _SHARED.cloud


def close() -> None:
    """Stop the demo cloud (the demo command calls this when every chapter has run)."""
    if _SHARED.cloud is not None:
        cloud, _SHARED.cloud = _SHARED.cloud, None
        cloud.__exit__(None, None, None)
