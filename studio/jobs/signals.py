"""Signals the pipeline sends, for code that groups or schedules jobs (e.g. batches).

Each carries the job's ``queue``, so a listener that cares about one kind of job (a batch's
rows run on the batch queue) can ignore the rest without a query.

``job_finished(job_id, queue)``: a job reached a terminal state (succeeded, failed or canceled);
sent after the transaction that ended it committed, once per job.
``job_throttled(job_id, provider, retry_after)``: a provider answered a job with a rate
limit (HTTP 429); the job itself retries with backoff.
``job_provider_done(job_id, provider, queue)``: a job's provider call returned with results; the
job now only stores them (code that rations a provider's concurrency can hand the slot on).
"""

from django.dispatch import Signal

job_finished = Signal()
job_throttled = Signal()
job_provider_done = Signal()
