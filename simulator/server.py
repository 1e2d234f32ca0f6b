"""Run the simulator as one threaded process (its state is in memory, so never fork)."""

from __future__ import annotations

from werkzeug.serving import WSGIRequestHandler, make_server

from simulator.app import create_app
from simulator.logs import log, mask_text
from simulator.settings import Settings


class MaskingRequestHandler(WSGIRequestHandler):
    """Access log without full phone numbers (they appear in /sim/numbers/... and ?To=...)."""

    def log(self, type: str, message: str, *args) -> None:
        super().log(type, mask_text(message % args if args else message))


def serve(host: str, port: int, settings: Settings) -> None:
    """Serve until interrupted. Blocks the calling thread."""
    if not settings.public_url:
        shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
        settings.public_url = f"http://{shown}:{port}"
    app = create_app(settings)
    server = make_server(host, port, app, threaded=True, request_handler=MaskingRequestHandler)
    log(
        "simulator_listening",
        host=host,
        port=port,
        public_url=settings.public_url,
        speed=settings.speed,
        concurrency=settings.concurrency,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.extensions["simulator"].pool.shutdown()
