"""The studio's models live with their module; Django loads them from here."""

from .create.models import Persona
from .jobs.models import Job, JobFile

__all__ = ["Job", "JobFile", "Persona"]
