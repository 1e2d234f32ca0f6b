"""Run the simulator: one threaded process serves the API and keeps the state in memory; calls
play out in playback processes (playback.py) unless SIM_PROCESSES=0."""

from __future__ import annotations

import logging
import signal
import sys

from werkzeug.serving import WSGIRequestHandler, make_server

from simulator.app import create_app
from simulator.logs import log, logger, mask_text
from simulator.settings import Settings


class MaskingRequestHandler(WSGIRequestHandler):
    """Access log without full phone numbers (they appear in /sim/numbers/... and ?To=...)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # A successful Twilio API request is one of thousands a second under load: logged at
        # DEBUG only (SIM_LOG_LEVEL=DEBUG), like the per-call lines. Errors and the control API
        # stay in the log.
        quiet = self.path.startswith("/2010-04-01/") and str(code).startswith(("2", "3"))
        if quiet and not logger.isEnabledFor(logging.DEBUG):
            return
        super().log_request(code, size)

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
        processes=settings.processes,
    )
    # SIGTERM (./run stopping, a supervisor) ends us like Ctrl-C, so the playback processes are
    # stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.extensions["simulator"].pool.shutdown()
