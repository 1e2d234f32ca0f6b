"""python -m simulator --host 127.0.0.1 --port 8090 (arguments override the environment)."""

from __future__ import annotations

import argparse
import logging
import os

from simulator.server import serve
from simulator.settings import DEFAULT_PORT, DEFAULT_PROCESSES, Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("SIM_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("SIM_PORT", DEFAULT_PORT)))
    parser.add_argument("--speed", type=float, help="simulated-time multiplier, 0 = no waiting")
    parser.add_argument("--concurrency", type=int, help="worker threads (in each playback process)")
    parser.add_argument("--processes", type=int,
                        help=f"playback processes (SIM_PROCESSES, default {DEFAULT_PROCESSES}); "
                             "0 plays calls out in the serving process")
    parser.add_argument("--public-url", help="base URL the gateway reaches us on")
    args = parser.parse_args(argv)
    level = os.environ.get("SIM_LOG_LEVEL", "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        parser.error(f"SIM_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {level!r}")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(message)s")
    try:
        settings = Settings.from_env()
        # Unlike create_app (in-process tests), the server plays calls out in processes of its
        # own unless told otherwise.
        if not os.environ.get("SIM_PROCESSES"):
            settings.processes = DEFAULT_PROCESSES
        if args.processes is not None:
            settings.processes = args.processes
        if args.speed is not None:
            settings.speed = args.speed
        if args.concurrency is not None:
            settings.concurrency = args.concurrency
        if args.public_url:
            settings.public_url = args.public_url
        settings.validate()
    except ValueError as exc:
        parser.error(str(exc))
    serve(args.host, args.port, settings)


if __name__ == "__main__":
    main()
