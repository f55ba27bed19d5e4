"""Signals the pipeline sends, for code that groups or schedules jobs (e.g. batches).

``job_finished(job_id)``: a job reached a terminal state (succeeded, failed or canceled);
sent after the transaction that ended it committed, once per job.
``job_throttled(job_id, provider, retry_after)``: a provider answered a job with a rate
limit (HTTP 429); the job itself retries with backoff.
"""

from django.dispatch import Signal

job_finished = Signal()
job_throttled = Signal()
