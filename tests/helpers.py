"""Helpers shared by the tests: run queued jobs in-process, post signed webhooks."""

from __future__ import annotations

from rq import SimpleWorker
from rq.job import Job
from rq.serializers import JSONSerializer
from twilio.request_validator import RequestValidator

from gateway.config import Config
from gateway.runtime import Runtime


def run_jobs(rt: Runtime, include_scheduled: bool = False) -> None:
    """Run every queued job in-process, as a worker would, until the queues are empty."""
    if include_scheduled:
        for queue in rt.jobs.ordered():
            registry = queue.scheduled_job_registry
            for job_id in registry.get_job_ids():
                job = Job.fetch(job_id, connection=rt.redis, serializer=JSONSerializer)
                registry.remove(job)
                queue.enqueue_job(job)
    SimpleWorker(rt.jobs.ordered(), connection=rt.redis, serializer=JSONSerializer).work(
        burst=True)


def signed_post(client, config: Config, path: str, params: dict):
    """POST a webhook exactly as Twilio would sign it."""
    signature = RequestValidator(config.twilio_auth_token).compute_signature(
        config.public_base_url + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})
