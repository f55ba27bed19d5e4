"""Errors billing raises, each with a message for the user and a way out.

``billing.services`` re-exports them; callers catch ``BillingError`` and show
``.message`` with a link to ``.action_url`` labelled ``.action_label``.
"""

from __future__ import annotations

from django.urls import reverse


def billing_url(fragment: str = "") -> str:
    return reverse("billing:overview") + (f"#{fragment}" if fragment else "")


class BillingError(Exception):
    def __init__(self, message: str, *, action_url: str = "", action_label: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.action_url = action_url
        self.action_label = action_label


class InsufficientCredits(BillingError):
    def __init__(self, *, needed: int, available: int, held: int = 0) -> None:
        self.needed = needed
        self.available = available
        self.held = held
        self.gap = needed - available
        on_hold = f" ({held} more are on hold for running jobs)" if held else ""
        super().__init__(
            f"Needs {self.gap} more credit{'s' if self.gap != 1 else ''}: this costs {needed} "
            f"and you have {available} available{on_hold}.",
            action_url=billing_url("packs"),
            action_label="Top up",
        )


class PlanLimitExceeded(BillingError):
    """A request goes beyond what the user's plan allows."""

    def __init__(self, message: str, *, limit: str, upgrade_to=None) -> None:
        self.limit = limit
        self.upgrade_to = upgrade_to
        super().__init__(
            message,
            action_url=billing_url("plans") if upgrade_to is not None else "",
            action_label=f"Upgrade to {upgrade_to.name}" if upgrade_to is not None else "",
        )


class PriceMissing(BillingError):
    """No price rule covers a paid operation; refusing beats running it for free."""

    def __init__(self, *, operation: str, provider: str, model: str = "", tier: str = "") -> None:
        self.operation = operation
        self.provider = provider
        what = " · ".join(
            part for part in (operation, provider or "any provider", model, tier) if part
        )
        super().__init__(
            f"This operation has no price yet ({what}), so it can't run. "
            "An administrator needs to add a price rule for it."
        )
