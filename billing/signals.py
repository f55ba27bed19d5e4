"""Open a credit account (Free plan + first grant) for every new user, however created."""

from __future__ import annotations

from allauth.account.signals import user_signed_up
from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="billing_open_account")
def open_account_on_create(sender, instance, created, raw=False, **kwargs):
    # ``raw`` is a fixture load: the fixture brings its own billing rows, if any.
    if created and not raw:
        from .services import account_open

        account_open(user=instance)


@receiver(user_signed_up, dispatch_uid="billing_open_account_signup")
def open_account_on_signup(sender, request, user, **kwargs):
    # Already done by post_save; account_open is idempotent, so this only guards a user
    # model or adapter that bypasses save().
    from .services import account_open

    account_open(user=user)
