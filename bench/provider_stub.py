"""A minimal stand-in for Twilio's create endpoints, for measuring a ceiling: it answers every
call or message create at once with the fields the twilio library reads, and does nothing else
(no call progress, no callbacks). What our send path reaches into it, next to what the bare
twilio client reaches into it from as many threads, says how much our own bookkeeping costs.

    .venv/bin/python bench/provider_stub.py --port 8099
"""

from __future__ import annotations

import argparse
import itertools

from aiohttp import web

_serial = itertools.count(1)


async def create(request: web.Request) -> web.Response:
    form = await request.post()
    kind = request.match_info["kind"]
    prefix = "CA" if kind == "Calls" else "SM"
    sid = f"{prefix}{next(_serial):032x}"
    body = {"sid": sid, "account_sid": request.match_info["account"], "to": form.get("To"),
            "from": form.get("From"), "status": "queued", "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{request.match_info['account']}/{kind}/{sid}.json"}
    if kind == "Messages":
        body.update(num_segments="1", body=form.get("Body"), direction="outbound-api")
    return web.json_response(body, status=201)


async def listing(request: web.Request) -> web.Response:
    key = "calls" if request.match_info["kind"] == "Calls" else "messages"
    return web.json_response({key: [], "next_page_uri": None, "page": 0, "page_size": 50})


def app() -> web.Application:
    application = web.Application()
    application.router.add_post("/2010-04-01/Accounts/{account}/{kind:Calls|Messages}.json", create)
    application.router.add_get("/2010-04-01/Accounts/{account}/{kind:Calls|Messages}.json", listing)
    return application


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args()
    web.run_app(app(), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
