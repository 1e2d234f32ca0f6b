"""Queues, their timeouts, retry policies and job ids, declared once. Jobs are named by dotted
path so the web process never imports worker code, and carry only ids (JSON serializer).

Send jobs have deterministic ids (the batch key stored on their deliveries), so reconciliation
can ask Redis whether the job that holds a waiting delivery still exists, and re-enqueue only
what was lost."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

# A worker listens to these in order: alerts go out before housekeeping.
ALERTS, DEFAULT = "alerts", "default"
QUEUE_NAMES = (ALERTS, DEFAULT)
JOB_TIMEOUT = 600
# Fan-out and follow-up jobs are idempotent, so an unexpected crash (a database restart) is
# simply retried.
IDEMPOTENT_RETRY = Retry(max=5, interval=[2, 5, 15, 30, 60])
# A job in one of these states still holds its deliveries.
HOLDING = {s.value for s in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED,
                           JobStatus.DEFERRED)}


class Jobs:
    def __init__(self, redis: Redis, prefix: str = "burgernet"):
        self.redis, self.prefix = redis, prefix
        self.queues = {
            name: Queue(f"{prefix}-{name}", connection=redis, serializer=JSONSerializer,
                        default_timeout=JOB_TIMEOUT)
            for name in QUEUE_NAMES
        }

    def ordered(self) -> list[Queue]:
        return [self.queues[name] for name in QUEUE_NAMES]

    # -- job ids -------------------------------------------------------------------------------
    def batch_prefix(self, action_id: int, purpose: str, round_: int, part: int | str) -> str:
        """Batch n of one fan-out has the key prefix + n: stored on its deliveries, its job's id."""
        return f"{self.prefix}-send-{action_id}-{purpose}{round_}-{part}-"

    def batch_key(self, action_id: int, purpose: str, round_: int, part: int | str):
        prefix = self.batch_prefix(action_id, purpose, round_, part)
        return lambda n: f"{prefix}{n}"

    def retry_key(self, delivery_id: int, attempt: int) -> str:
        return f"{self.prefix}-retry-{delivery_id}-{attempt}"

    def verify_key(self, delivery_id: int, attempt: int) -> str:
        return f"{self.prefix}-verify-{delivery_id}-{attempt}"

    def lease_key(self, job_id: str) -> str:
        return f"{self.prefix}:lease:{job_id}"

    @contextmanager
    def lease(self, job_id: str, seconds: float) -> Iterator[None]:
        """Say that a job is really running, for as long as it runs. RQ marks a job started
        when a worker takes it, and a SIGKILLed worker leaves it so for the job timeout; our
        lease expires within `seconds` of the worker's death."""
        key, stop = self.lease_key(job_id), threading.Event()
        ttl_ms = max(100, int(seconds * 1000))

        def renew() -> None:
            while True:
                try:
                    self.redis.set(key, 1, px=ttl_ms)
                except RedisError:
                    pass  # Redis is away: reconciliation after it returns sorts it out
                if stop.wait(seconds / 3):
                    return

        renew_thread = threading.Thread(target=renew, daemon=True)
        renew_thread.start()
        try:
            yield
        finally:
            stop.set()
            renew_thread.join()
            try:
                self.redis.delete(key)
            except RedisError:
                pass

    def held(self, job_ids: Iterable[str]) -> set[str]:
        """Which of these jobs exist in Redis and will still run, or run now in a live worker."""
        job_ids = list(job_ids)
        with self.redis.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.hget(Job.key_for(job_id), "status")
                pipe.exists(self.lease_key(job_id))
            answers = pipe.execute()
        held = set()
        for job_id, status, leased in zip(job_ids, answers[::2], answers[1::2], strict=True):
            status = status.decode() if status is not None else None
            if status in HOLDING and (status != JobStatus.STARTED.value or leased):
                held.add(job_id)
        return held

    # -- enqueueing ----------------------------------------------------------------------------
    def fan_out(self, action_id: int, area_index: int) -> None:
        self.queues[ALERTS].enqueue("worker.jobs.fan_out", action_id, area_index,
                                    retry=IDEMPOTENT_RETRY)

    def followups(self, action_id: int, purpose: str, round_: int) -> None:
        self.queues[ALERTS].enqueue("worker.jobs.followups", action_id, purpose, round_,
                                    retry=IDEMPOTENT_RETRY)

    def send(self, batches: list[str]) -> None:
        with self.redis.pipeline() as pipe:
            for batch in batches:
                self.queues[ALERTS].enqueue("worker.jobs.send_batch", batch, job_id=batch,
                                            pipeline=pipe)
            pipe.execute()

    def send_later(self, batch: str, delay: timedelta) -> None:
        if delay.total_seconds() <= 0:
            return self.send([batch])
        self.queues[ALERTS].enqueue_in(delay, "worker.jobs.send_batch", batch, job_id=batch)

    def outcome_for(self, delivery_id: int) -> None:
        self.queues[ALERTS].enqueue("worker.jobs.outcome_for", delivery_id,
                                    retry=IDEMPOTENT_RETRY)

    def verify(self, delivery_id: int, attempt: int, delay: timedelta,
               stale_only: bool = False) -> None:
        job_id = self.verify_key(delivery_id, attempt)
        args = ("worker.jobs.verify_sending", delivery_id, attempt, stale_only)
        if delay.total_seconds() > 0:
            self.queues[ALERTS].enqueue_in(delay, *args, job_id=job_id)
        else:
            self.queues[ALERTS].enqueue(*args, job_id=job_id)

    def transcribe(self, recording_id: int) -> None:
        self.queues[DEFAULT].enqueue("worker.jobs.transcribe_recording", recording_id,
                                     retry=IDEMPOTENT_RETRY)

    def purge_recordings(self) -> None:
        self.queues[DEFAULT].enqueue("worker.jobs.purge_recordings")

    def reconcile(self) -> None:
        self.queues[DEFAULT].enqueue("worker.jobs.reconcile")
