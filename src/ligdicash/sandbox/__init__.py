"""A local emulator of the LigdiCash API, with the whole payment lifecycle.

Start one with ``ligdicash sandbox`` (CLI), ``with Sandbox() as sb:`` (in-process), or the
``ligdicash_sandbox`` pytest fixture. See ``docs/sandbox.md``.

Importing this package is cheap: the server parts (Starlette, uvicorn) load on first use of
``Sandbox``, ``create_app`` or ``SandboxApp``, so the pytest plugin costs nothing when unused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._config import DEFAULT_API_KEY, DEFAULT_AUTH_TOKEN, SandboxConfig

if TYPE_CHECKING:
    from ._app import SandboxApp, create_app
    from ._client import SandboxClient, SandboxError
    from ._receiver import CallbackReceiver, ReceivedCallback
    from ._server import Sandbox

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_AUTH_TOKEN",
    "CallbackReceiver",
    "ReceivedCallback",
    "Sandbox",
    "SandboxApp",
    "SandboxClient",
    "SandboxConfig",
    "SandboxError",
    "create_app",
]

_LAZY = {
    "Sandbox": "._server",
    "SandboxApp": "._app",
    "create_app": "._app",
    "SandboxClient": "._client",
    "SandboxError": "._client",
    "CallbackReceiver": "._receiver",
    "ReceivedCallback": "._receiver",
}


_EXTRA_MODULES = {"starlette", "uvicorn", "multipart", "python_multipart"}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    try:
        module = importlib.import_module(module_name, __name__)
    except ModuleNotFoundError as exc:
        # The server parts need the extra; say how to get it instead of naming a dependency.
        if (exc.name or "").split(".")[0] in _EXTRA_MODULES:
            raise ImportError(
                f"ligdicash.sandbox.{name} needs the sandbox extra: "
                "pip install 'ligdicash[sandbox]'",
                name=(exc.name or "").split(".")[0] or None,
            ) from exc
        raise
    value = getattr(module, name)
    globals()[name] = value
    return value
