"""Run the simulator: one process serves the API and keeps the state in memory; calls play out
in playback processes (playback.py) unless SIM_PROCESSES=0.

The HTTP server is aiohttp in front of the Flask app. werkzeug's threaded server closes the
connection after every response and starts a thread for each new one; on a busy machine that
capped creates at a third of what a bare aiohttp server takes from the same client, with or
without playback in the process (bench/simulator.py). aiohttp parses HTTP in C and keeps
connections alive; each request runs the Flask app on a thread of a fixed pool, because a
request may wait: a `slow` number, `/sim/wait`, an inbound message's webhook, backpressure.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl

from aiohttp import web
from flask import Flask
from multidict import CIMultiDict
from werkzeug.datastructures import Authorization, MultiDict

from simulator import api
from simulator.app import create_app
from simulator.logs import log, logger, mask_text
from simulator.resources import API_VERSION, error
from simulator.settings import Settings

REQUEST_THREADS = 64  # requests served at once; each waiting request holds one
# Set by aiohttp from the body; the rest of the app's headers go out as they are.
SKIPPED_HEADERS = {"content-length", "connection", "transfer-encoding"}


def run_wsgi(app: Flask, environ: dict) -> tuple[int, list[tuple[str, str]], bytes]:
    answer: dict = {}

    def start_response(status: str, headers: list, exc_info=None):
        answer["status"], answer["headers"] = status, headers
        return lambda data: None  # the Flask app never writes this way

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return int(answer["status"].split(" ", 1)[0]), answer["headers"], body


class WsgiHandler:
    """Turns an aiohttp request into a WSGI call of the Flask app on the thread pool."""

    def __init__(self, app: Flask, host: str, port: int) -> None:
        self.app = app
        self.host, self.port = host, str(port)
        self.pool = ThreadPoolExecutor(REQUEST_THREADS, thread_name_prefix="sim-http")

    def environ(self, request: web.Request, body: bytes) -> dict:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        environ = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": request.path,
            "QUERY_STRING": request.query_string,
            "SERVER_NAME": self.host,
            "SERVER_PORT": self.port,
            "SERVER_PROTOCOL": f"HTTP/{request.version.major}.{request.version.minor}",
            "REMOTE_ADDR": peer[0] if peer else "127.0.0.1",
        }
        for name, value in request.headers.items():
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
                continue  # the body is read whole: its length is what counts
            if key == "CONTENT_TYPE":
                environ[key] = value
            elif "HTTP_" + key in environ:
                environ["HTTP_" + key] += "," + value
            else:
                environ["HTTP_" + key] = value
        environ["CONTENT_LENGTH"] = str(len(body))
        return environ

    def can_wait(self, request: web.Request) -> bool:
        """Whether the request may wait. A create waits only for a `slow` or `rate-limit`
        number (overrides) or when the backlog is full; the rest of the API only for the lock."""
        if request.method != "POST" or not request.path.endswith(("/Calls.json", "/Messages.json")):
            return True  # rare, or may wait (/sim/wait, inbound webhooks), or may be long (lists)
        rt = self.app.extensions["simulator"]
        return bool(rt.store.overrides) or not rt.pool.has_room()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        environ = self.environ(request, body)
        if self.can_wait(request):
            loop = asyncio.get_running_loop()
            status, headers, data = await loop.run_in_executor(self.pool, run_wsgi, self.app, environ)
        else:
            # Creates, the hot path of a national action, run right here: handing them to a
            # thread and back cost about as much as the create itself.
            answer = quick_create(self.app, request, body)
            status, headers, data = answer or run_wsgi(self.app, environ)
        access_log(request, status)
        kept = CIMultiDict((k, v) for k, v in headers if k.lower() not in SKIPPED_HEADERS)
        return web.Response(status=status, headers=kept, body=data)


def quick_create(app: Flask, request: web.Request, body: bytes) -> tuple[int, list, bytes] | None:
    """A call or message create without Flask's request machinery (routing, request context,
    hooks: half the CPU of a create), calling the same api.new_call / new_message. None for
    anything unusual (bad credentials, another account, not a form), which then goes the
    ordinary way and gets the ordinary answer."""
    rt = app.extensions["simulator"]
    _, version, accounts, account_sid, resource = (request.path.split("/") + [""] * 5)[:5]
    create = QUICK_CREATES.get(resource)
    if (create is None or version != API_VERSION or accounts != "Accounts"
            or account_sid != rt.settings.account_sid
            or request.content_type != "application/x-www-form-urlencoded"
            or not api.valid_credentials(Authorization.from_header(request.headers.get("Authorization")),
                                         rt.settings)):
        return None
    form = MultiDict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    with app.app_context():  # jsonify and error() use the app's JSON settings
        rt.store.begin_work()
        try:
            result = api.created(create(rt, account_sid, form))
        except Exception as exc:  # as the app's own error handler answers a crash
            log("request_crashed", logging.ERROR, path=request.path, error=repr(exc))
            logger.exception("request crashed")
            result = error(500, 20500, "Internal Server Error")
        finally:
            rt.store.end_work()
        response, status = result if isinstance(result, tuple) else (result, result.status_code)
        return status, list(response.headers.items()), response.get_data()


QUICK_CREATES = {"Calls.json": api.new_call, "Messages.json": api.new_message}


def access_log(request: web.Request, status: int) -> None:
    """Like werkzeug's access log, without full phone numbers (they appear in
    /sim/numbers/... and ?To=...). A successful Twilio API request is one of thousands a
    second under load: logged at DEBUG only (SIM_LOG_LEVEL=DEBUG), like the per-call lines.
    Errors and the control API stay in the log."""
    quiet = request.path.startswith("/2010-04-01/") and 200 <= status < 400
    level = logging.DEBUG if quiet else logging.INFO
    if logger.isEnabledFor(level):
        logger.log(level, mask_text(f'"{request.method} {request.path_qs} HTTP/'
                                    f'{request.version.major}.{request.version.minor}" {status}'))


def front(app: Flask, host: str, port: int) -> tuple[web.Application, WsgiHandler]:
    """The aiohttp application serving `app`, and its handler (whose pool to shut down)."""
    handler = WsgiHandler(app, host, port)
    application = web.Application()
    application.router.add_route("*", "/{path:.*}", handler.handle)
    return application, handler


def serve(host: str, port: int, settings: Settings) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM). Blocks the calling thread."""
    if not settings.public_url:
        shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
        settings.public_url = f"http://{shown}:{port}"
    app = create_app(settings)  # forks the playback processes: before any thread starts
    application, handler = front(app, host, port)
    log(
        "simulator_listening",
        host=host,
        port=port,
        public_url=settings.public_url,
        speed=settings.speed,
        concurrency=settings.concurrency,
        processes=settings.processes,
    )
    try:
        # Ends on SIGINT and SIGTERM (./run stopping it), so the finally stops the playback
        # processes too.
        web.run_app(application, host=host, port=port, access_log=None, print=None)
    finally:
        handler.pool.shutdown(wait=False, cancel_futures=True)
        app.extensions["simulator"].pool.shutdown()
