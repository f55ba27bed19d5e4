"""What an operation costs, in credits. The same function quotes and charges.

Prices live in ``PriceRule`` rows (admin-editable, seeded by a migration; 1 credit =
$0.01, see ``billing.seed``). ``estimate`` picks the most specific active rule for the
operation, provider, model and tier, and never invents a price for a paid provider:
without a rule it raises ``PriceMissing``. The one documented fallback is the offline
local engine (provider "local"), which costs nothing unless a rule says otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from .exceptions import PriceMissing

LOCAL_PROVIDER = "local"


@dataclass(frozen=True)
class Quote:
    credits: int
    unit_price: int
    quantity: int
    label: str
    operation: str = ""
    provider: str = ""
    model: str = ""
    tier: str = ""
    seconds: float = 0.0

    @property
    def is_free(self) -> bool:
        return self.credits == 0


def credits_label(credits: int) -> str:
    """ "Free", "1 credit" or "32 credits"."""
    if credits == 0:
        return "Free"
    return f"{credits:,} credit{'s' if credits != 1 else ''}"


def _specificity(rule) -> int:
    return (4 if rule.provider else 0) + (2 if rule.model else 0) + (1 if rule.tier else 0)


def rule_for(*, operation: str, provider: str = "", model: str = "", tier: str = ""):
    """The price rule that applies, or None.

    A blank rule field matches any request; a blank *request* field (no model or tier
    chosen) matches only blank rule fields, which carry the dearest variant. With no
    provider (auto-selection) the dearest matching rule of any provider is used, so the
    hold covers whichever provider runs the job.
    """
    from .models import PriceRule

    rules = PriceRule.objects.filter(operation=operation, is_active=True)
    if provider:
        rules = rules.filter(provider__in=[provider, ""])
    rules = rules.filter(model__in=[model, ""] if model else [""])
    rules = rules.filter(tier__in=[tier, ""] if tier else [""])
    candidates = list(rules)
    if not candidates:
        return None
    if not provider:
        return max(
            candidates, key=lambda r: (r.credits_per_unit, r.credits_per_second, _specificity(r))
        )
    return max(candidates, key=_specificity)


def estimate(
    *,
    operation: str,
    provider: str = "",
    model: str = "",
    quantity: int = 1,
    seconds: float = 0.0,
    tier: str = "",
) -> Quote:
    """Return the credit cost of running ``operation`` ``quantity`` times.

    ``quantity`` counts outputs (variations); ``seconds`` is the output length for video.
    Cost = ceil(unit × (1 + (quantity − 1) × variation_multiplier)) where
    unit = credits_per_unit + credits_per_second × max(seconds, min_seconds).
    Raises ``PriceMissing`` (a ``BillingError``) when a paid provider has no rule.
    """
    quantity = max(1, int(quantity))
    rule = rule_for(operation=operation, provider=provider, model=model, tier=tier)
    if rule is None:
        if provider == LOCAL_PROVIDER or operation.startswith("tools."):
            unit = Decimal(0)
            multiplier = Decimal(1)
        else:
            raise PriceMissing(operation=operation, provider=provider, model=model, tier=tier)
    else:
        billed_seconds = (
            max(Decimal(str(seconds or 0)), rule.min_seconds) if rule.credits_per_second else 0
        )
        unit = Decimal(rule.credits_per_unit) + rule.credits_per_second * billed_seconds
        multiplier = rule.variation_multiplier
    total = math.ceil(unit * (1 + (quantity - 1) * multiplier))
    return Quote(
        credits=total,
        unit_price=math.ceil(unit),
        quantity=quantity,
        label=credits_label(total),
        operation=operation,
        provider=provider,
        model=model,
        tier=tier,
        seconds=float(seconds or 0),
    )
