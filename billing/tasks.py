from celery import shared_task


@shared_task(name="billing.tasks.grant_monthly_credits")
def grant_monthly_credits() -> dict[str, int]:
    """Grant each active subscription whose period ended its next month of credits.

    Runs from beat; idempotent (see ``billing.services.subscriptions_renew``), so a double
    fire or a retried delivery grants nothing twice.
    """
    from billing.services import subscriptions_renew

    return subscriptions_renew()
