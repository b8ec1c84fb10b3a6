"""LigdiCash callbacks for Flask: a blueprint in a few lines.

::

    from ligdicash.contrib import CallbackProcessor
    from ligdicash.contrib.flask import make_blueprint

    processor = CallbackProcessor(lookup=find_order, handler=deliver_order)
    app.register_blueprint(make_blueprint(processor), url_prefix="/ligdicash")
    # POST /ligdicash/callback

The view reads the body (refusing one over 256 KiB with ``413``, on its ``Content-Length``
or while streaming, without reading the rest), keeps it in the store's inbox, answers
``200`` with an empty body (``503`` if the store could not keep it; nothing is revealed to
a forger) and hands it to a small thread pool (:class:`BackgroundRunner`, 4 workers by
default) which runs :meth:`CallbackProcessor.process_inbox` inside the application
context, so your lookup and handler can use ``current_app`` and Flask extensions. A
daemon thread sweeps the inbox at start and every 5 s (:class:`Sweeper`), finishing what
a dead worker left. The processor's default store is ``ligdicash.open_store()``
(``LIGDICASH_STORE_URL``, else a SQLite file: one machine); several machines share one
PostgreSQL or Redis store.

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
from ._endpoint import receive
from ._handler import CallbackProcessor
from ._runner import BackgroundRunner
from ._sweeper import DEFAULT_INTERVAL, Sweeper

__all__ = ["make_blueprint"]


def make_blueprint(
    processor: CallbackProcessor,
    *,
    name: str = "ligdicash",
    path: str = "/callback",
    runner: Optional[BackgroundRunner] = None,
    sweep_interval: Optional[float] = DEFAULT_INTERVAL,
) -> Blueprint:
    """A blueprint with ``POST {path}`` that answers 200 and processes in the background.

    Args:
        processor: your :class:`CallbackProcessor` (lookup, handler, store, client).
        name: the blueprint's name; the endpoint is ``"{name}.callback"``.
        path: the route inside the blueprint (mount it with ``url_prefix``).
        runner: the thread pool to use (default: a new 4-thread :class:`BackgroundRunner`).
            Reachable afterwards as ``blueprint.ligdicash_runner`` (e.g. to ``shutdown()``).
        sweep_interval: seconds between two sweeps of the inbox, from the moment the
            blueprint is registered on an app; ``None``: no sweeper (run
            ``processor.sweep()`` yourself). Its sweepers (one per app) are
            ``blueprint.ligdicash_sweepers`` (``stop()`` them on shutdown).
    """
    pool = runner if runner is not None else BackgroundRunner()
    blueprint = Blueprint(name, __name__)
    sweepers: list[Sweeper] = []

    def start_sweeper(state: Any) -> None:
        if sweep_interval is None:
            return
        app = state.app

        def in_context(job: Any) -> Any:
            def run() -> Any:
                with app.app_context():
                    return job()

            return run

        sweeper = Sweeper(processor, interval=sweep_interval, wrap=in_context)
        sweepers.append(sweeper)
        sweeper.start()

    blueprint.record_once(start_sweeper)

    @blueprint.route(path, methods=["POST"], endpoint="callback")
    def ligdicash_callback() -> Response:
        if declared_too_large(request.headers.get("Content-Length")):
            return Response(b"", status=413, content_type="text/plain")
        body = read_limited(request.stream.read)
        if body is None:
            return Response(b"", status=413, content_type="text/plain")
        content_type = request.headers.get("Content-Type", "")
        app = cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
        for sweeper in sweepers:
            sweeper.start()  # again in a forked worker, whose parent's thread is gone
        if processor.inbox is None:  # a store without an inbox: process from memory

            def job() -> Any:
                with app.app_context():
                    return processor.process(body, content_type)

            pool.submit(job)
            return Response(b"", status=200, content_type="text/plain")
        reception = receive(processor, body, content_type)
        digest = reception.digest
        if digest is not None:

            def inbox_job() -> Any:
                with app.app_context():
                    return processor.process_inbox(digest)

            pool.submit(inbox_job)
        return Response(b"", status=reception.status, content_type="text/plain")

    blueprint.ligdicash_runner = pool  # type: ignore[attr-defined]
    blueprint.ligdicash_sweepers = sweepers  # type: ignore[attr-defined]
    blueprint.ligdicash_processor = processor  # type: ignore[attr-defined]
    return blueprint
