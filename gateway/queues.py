"""Queues, their timeouts, retry policies and job ids, declared once. Jobs are named by dotted
path so the web process never imports worker code, and carry only ids (JSON serializer).

Send jobs have deterministic ids (the batch key stored on their deliveries), so reconciliation
can ask Redis whether the job that holds a waiting delivery still exists, and re-enqueue only
what was lost."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from redis import Redis
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
    def batch_key(self, action_id: int, purpose: str, round_: int, part: int | str):
        """Batch n of one fan-out: the key is stored on its deliveries and is its job's id."""
        return lambda n: f"{self.prefix}-send-{action_id}-{purpose}{round_}-{part}-{n}"

    def retry_key(self, delivery_id: int, attempt: int) -> str:
        return f"{self.prefix}-retry-{delivery_id}-{attempt}"

    def verify_key(self, delivery_id: int, attempt: int) -> str:
        return f"{self.prefix}-verify-{delivery_id}-{attempt}"

    def held(self, job_ids: Iterable[str]) -> set[str]:
        """Which of these jobs exist in Redis and will still run (or are running)."""
        job_ids = list(job_ids)
        with self.redis.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.hget(Job.key_for(job_id), "status")
            statuses = pipe.execute()
        return {job_id for job_id, status in zip(job_ids, statuses, strict=True)
                if status is not None and status.decode() in HOLDING}

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

    def reconcile(self) -> None:
        self.queues[DEFAULT].enqueue("worker.jobs.reconcile")
