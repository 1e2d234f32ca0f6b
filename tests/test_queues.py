"""Which send jobs still hold their deliveries: what reconciliation asks Redis."""

from __future__ import annotations

from datetime import timedelta

from rq.job import JobStatus


def test_held_means_queued_scheduled_or_running_in_a_live_worker(runtime):
    jobs = runtime.jobs
    queued, scheduled, running, orphaned, done = (f"{jobs.prefix}-send-t-{n}" for n in range(5))
    jobs.send([queued, running, orphaned, done])
    jobs.send_later(scheduled, timedelta(minutes=5))
    queue = jobs.queues["alerts"]
    for job_id, status in [(running, JobStatus.STARTED), (orphaned, JobStatus.STARTED),
                           (done, JobStatus.FINISHED)]:
        queue.fetch_job(job_id).set_status(status)
    never = f"{jobs.prefix}-send-t-never"
    with jobs.lease(running, 5):
        assert jobs.held([queued, scheduled, running, orphaned, done, never]) == {
            queued, scheduled, running}
    # The lease ends with the job: a worker SIGKILLed mid-job leaves a "started" job behind
    # for RQ's job timeout, but reconciliation sees it lost within the lease's seconds.
    assert jobs.held([running]) == set()
