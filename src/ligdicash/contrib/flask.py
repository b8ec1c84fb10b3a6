"""LigdiCash callbacks for Flask: a blueprint in a few lines.

::

    from ligdicash.contrib import CallbackProcessor
    from ligdicash.contrib.flask import make_blueprint

    processor = CallbackProcessor(lookup=find_order, handler=deliver_order)
    app.register_blueprint(make_blueprint(processor), url_prefix="/ligdicash")
    # POST /ligdicash/callback

The view reads the body (refusing one over 256 KiB with ``413``, on its ``Content-Length``
or while streaming, without reading the rest), answers ``200`` with an empty body at once
(nothing is revealed to a forger) and hands the body to a small thread pool
(:class:`BackgroundRunner`, 4 workers by default) which runs
:meth:`CallbackProcessor.process` inside the application context, so your lookup and
handler can use ``current_app`` and Flask extensions. Under gunicorn, each worker process
has its own pool; the SQLite idempotency store is shared between them.

Needs ``pip install 'ligdicash[flask]'``.
"""

from __future__ import annotations

try:
    from flask import Blueprint, Flask, Response, current_app, request
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "ligdicash.contrib.flask needs Flask: pip install 'ligdicash[flask]'"
    ) from exc

from typing import Any, Optional, cast

from ._body import declared_too_large, read_limited
from ._handler import CallbackProcessor
from ._runner import BackgroundRunner

__all__ = ["make_blueprint"]


def make_blueprint(
    processor: CallbackProcessor,
    *,
    name: str = "ligdicash",
    path: str = "/callback",
    runner: Optional[BackgroundRunner] = None,
) -> Blueprint:
    """A blueprint with ``POST {path}`` that answers 200 and processes in the background.

    Args:
        processor: your :class:`CallbackProcessor` (lookup, handler, store, client).
        name: the blueprint's name; the endpoint is ``"{name}.callback"``.
        path: the route inside the blueprint (mount it with ``url_prefix``).
        runner: the thread pool to use (default: a new 4-thread :class:`BackgroundRunner`).
            Reachable afterwards as ``blueprint.ligdicash_runner`` (e.g. to ``shutdown()``).
    """
    pool = runner if runner is not None else BackgroundRunner()
    blueprint = Blueprint(name, __name__)

    @blueprint.route(path, methods=["POST"], endpoint="callback")
    def ligdicash_callback() -> Response:
        if declared_too_large(request.headers.get("Content-Length")):
            return Response(b"", status=413, content_type="text/plain")
        body = read_limited(request.stream.read)
        if body is None:
            return Response(b"", status=413, content_type="text/plain")
        content_type = request.headers.get("Content-Type", "")
        app = cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]

        def job() -> Any:
            with app.app_context():
                return processor.process(body, content_type)

        pool.submit(job)
        return Response(b"", status=200, content_type="text/plain")

    blueprint.ligdicash_runner = pool  # type: ignore[attr-defined]
    blueprint.ligdicash_processor = processor  # type: ignore[attr-defined]
    return blueprint
