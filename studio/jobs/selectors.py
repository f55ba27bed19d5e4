from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import Job


def job_get_for_owner(*, owner, public_id) -> Job:
    """The owner's job with this public id, or Http404 (also for another user's job)."""
    return get_object_or_404(Job.objects.filter(owner=owner), public_id=public_id)


def job_list(*, owner) -> QuerySet[Job]:
    return Job.objects.filter(owner=owner).prefetch_related("outputs", "inputs")
