"""A minimal stand-in for the gateway's webhooks, for measuring the simulator on its own: it
answers every TwiML request with a short alert (a Say inside a Gather, as the gateway's alert
TwiML), every other webhook (status, machine-detection verdict) with 204, and counts them.
No signature check and no database, so the simulator's outgoing side is what gets measured.

    .venv/bin/python bench/callback_sink.py --port 8098
    curl http://127.0.0.1:8098/sink/stats      # {"twiml": n, "status": n, "other": n}
"""

from __future__ import annotations

import argparse
import collections

from aiohttp import web

TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response>'
         '<Gather numDigits="1" timeout="5" action="/voice/key">'
         '<Say language="nl-NL" voice="Polly.Lotte">Burgernet. Let op een man in een rode jas.</Say>'
         '</Gather><Say language="nl-NL" voice="Polly.Lotte">Tips: 0800-0011.</Say></Response>')
_counts: collections.Counter = collections.Counter()


async def webhook(request: web.Request) -> web.Response:
    if request.method == "POST":
        await request.read()
    if request.path.startswith("/voice"):
        _counts["twiml"] += 1
        return web.Response(text=TWIML, content_type="text/xml")
    _counts["status" if request.path.startswith("/status") else "other"] += 1
    return web.Response(status=204)


async def stats(request: web.Request) -> web.Response:
    return web.json_response({k: _counts[k] for k in ("twiml", "status", "other")})


def app() -> web.Application:
    application = web.Application()
    application.router.add_get("/sink/stats", stats)
    application.router.add_route("*", "/{tail:.*}", webhook)
    return application


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8098)
    args = parser.parse_args()
    web.run_app(app(), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
