from django.shortcuts import get_object_or_404

from .models import Batch


def batch_get_for_owner(*, owner, public_id) -> Batch:
    """The owner's batch, or 404 (another user's batch is never shown)."""
    return get_object_or_404(Batch, owner=owner, public_id=public_id)


def batch_list(*, owner):
    return Batch.objects.filter(owner=owner).order_by("-created_at")
