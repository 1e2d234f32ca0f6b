"""Queues, their timeouts and retry policies, declared once. Jobs are named by dotted path
so the web process never imports worker code, and carry only ids (JSON serializer)."""

from __future__ import annotations

from datetime import timedelta

from redis import Redis
from rq import Queue, Retry
from rq.serializers import JSONSerializer

# A worker listens to these in order: alerts go out before housekeeping.
ALERTS, DEFAULT = "alerts", "default"
QUEUE_NAMES = (ALERTS, DEFAULT)
JOB_TIMEOUT = 600
# start/close jobs are idempotent, so an unexpected crash (database restart) is simply retried.
IDEMPOTENT_RETRY = Retry(max=5, interval=[2, 5, 15, 30, 60])


class Jobs:
    def __init__(self, redis: Redis, prefix: str = "burgernet"):
        self.redis = redis
        self.queues = {
            name: Queue(f"{prefix}-{name}", connection=redis, serializer=JSONSerializer,
                        default_timeout=JOB_TIMEOUT)
            for name in QUEUE_NAMES
        }

    def ordered(self) -> list[Queue]:
        return [self.queues[name] for name in QUEUE_NAMES]

    def start_action(self, action_id: int) -> None:
        self.queues[ALERTS].enqueue("worker.jobs.start_action", action_id, retry=IDEMPOTENT_RETRY)

    def close_action(self, action_id: int) -> None:
        self.queues[ALERTS].enqueue("worker.jobs.close_action", action_id, retry=IDEMPOTENT_RETRY)

    def send(self, delivery_ids: list[int], delay_seconds: float = 0) -> None:
        if delay_seconds > 0:
            self.queues[ALERTS].enqueue_in(
                timedelta(seconds=delay_seconds), "worker.jobs.send_batch", delivery_ids)
        else:
            self.queues[ALERTS].enqueue("worker.jobs.send_batch", delivery_ids)

    def send_in_batches(self, delivery_ids: list[int], size: int) -> None:
        with self.redis.pipeline() as pipe:
            for start in range(0, len(delivery_ids), size):
                self.queues[ALERTS].enqueue(
                    "worker.jobs.send_batch", delivery_ids[start:start + size], pipeline=pipe)
            pipe.execute()

    def outcome_for(self, delivery_id: int) -> None:
        self.queues[ALERTS].enqueue("worker.jobs.outcome_for", delivery_id)

    def verify(self, delivery_id: int, delay_seconds: float) -> None:
        if delay_seconds > 0:
            self.queues[ALERTS].enqueue_in(
                timedelta(seconds=delay_seconds), "worker.jobs.verify_sending", delivery_id)
        else:
            self.queues[ALERTS].enqueue("worker.jobs.verify_sending", delivery_id)

    def reconcile(self) -> None:
        self.queues[DEFAULT].enqueue("worker.jobs.reconcile")
