"""The studio's models live with their module; Django loads them from here."""

from .batch.models import Batch, BatchRow
from .create.models import Persona
from .jobs.models import Job, JobFile

__all__ = ["Batch", "BatchRow", "Job", "JobFile", "Persona"]
