"""What an operation costs, in credits. The same function quotes and charges."""

from __future__ import annotations

from dataclasses import dataclass

# Credits per unit for operations that have no price row. Local-engine operations cost
# nothing: they run on this server's CPU.
DEFAULT_UNIT_PRICES: dict[str, int] = {
    "tools.resize": 0,
    "tools.crop": 0,
    "tools.filter": 0,
    "tools.convert": 0,
    "tools.palette": 0,
}


@dataclass(frozen=True)
class Quote:
    credits: int
    unit_price: int
    quantity: int
    label: str

    @property
    def is_free(self) -> bool:
        return self.credits == 0


def estimate(
    *, operation: str, provider: str = "", model: str = "", quantity: int = 1, seconds: float = 0.0
) -> Quote:
    """Return the credit cost of running ``operation`` ``quantity`` times."""
    unit = DEFAULT_UNIT_PRICES.get(operation, 0)
    total = unit * max(1, quantity)
    label = "Free" if total == 0 else f"{total} credit{'s' if total != 1 else ''}"
    return Quote(credits=total, unit_price=unit, quantity=max(1, quantity), label=label)
