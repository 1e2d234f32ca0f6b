"""Helpers shared by the tests: run queued jobs in-process, post signed webhooks, wait."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

from rq import SimpleWorker
from rq.job import Job
from rq.serializers import JSONSerializer
from rq.utils import current_timestamp
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

from gateway.config import Config
from gateway.runtime import Runtime


def run_jobs(rt: Runtime, ahead: int = 0) -> None:
    """Run every queued job, and every scheduled job whose time has come, in-process, as a
    worker with its scheduler would, until the queues are empty. `ahead`: seconds of the
    schedule to bring forward (a test that skips a wait)."""
    for queue in rt.jobs.ordered():
        registry = queue.scheduled_job_registry
        for job_id in registry.get_jobs_to_schedule(current_timestamp() + ahead):
            job = Job.fetch(job_id, connection=rt.redis, serializer=JSONSerializer)
            registry.remove(job)
            queue.enqueue_job(job)
    SimpleWorker(rt.jobs.ordered(), connection=rt.redis, serializer=JSONSerializer).work(
        burst=True, logging_level="WARNING")


def pump(rt: Runtime, done: Callable[[], bool], timeout: float = 30, what: str = "condition"):
    """Keep running jobs until `done()` holds: the test's stand-in for a worker process."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run_jobs(rt)
        if done():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_until(done: Callable[[], bool], timeout: float = 30, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def signed_post(client, config: Config, path: str, params: dict):
    """POST a webhook exactly as Twilio would sign it."""
    signature = RequestValidator(config.twilio_auth_token).compute_signature(
        config.public_base_url + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerThread:
    """A WSGI app on a loopback port in this process: real HTTP, no extra process."""

    def __init__(self, app, port: int):
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        # shutdown() waits for the loop to look at its flag: every 0.5 s by default, which
        # was a second of every live test's teardown.
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       kwargs={"poll_interval": 0.02})
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
