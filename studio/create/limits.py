"""Controls that stop at what the user's plan allows, with the higher values shown locked.

A creator on a plan that allows 2 variations sees a slider that goes to 2, then 3–10
marked with the plan that unlocks them; a model outside the plan is listed but locked the
same way. When payments are off on this server nobody can upgrade by themselves, so the
note says whom to ask instead of pointing at a checkout that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from billing import payments
from billing.selectors import plans_offered
from studio.jobs.engines import plan_allows

MAX_VARIATIONS = 10


@dataclass(frozen=True)
class Step:
    """One value of a limited control: usable now, or locked until ``unlock`` (a plan name)."""

    value: int
    unlock: str = ""

    @property
    def locked(self) -> bool:
        return bool(self.unlock)


@dataclass(frozen=True)
class LockedRange:
    """Consecutive locked values that the same plan unlocks, e.g. 3–10 with Creator."""

    first: int
    last: int
    plan: str

    @property
    def label(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}–{self.last}"


def _higher_plans(plan) -> list:
    return [p for p in plans_offered() if plan is None or p.position > plan.position]


def unlocking_plan(plan, fits, higher: list | None = None):
    """The first offered plan above ``plan`` for which ``fits(plan)`` holds, or None."""
    for candidate in higher if higher is not None else _higher_plans(plan):
        if fits(candidate):
            return candidate
    return None


def variation_steps(plan, maximum: int = MAX_VARIATIONS) -> list[Step]:
    """1…``maximum``: the plan's own values, then each higher one with the plan that
    unlocks it. A value no offered plan reaches is left out (nobody could use it)."""
    allowed = plan.max_variations if plan is not None else maximum
    higher = _higher_plans(plan)
    steps = []
    for n in range(1, maximum + 1):
        if n <= allowed:
            steps.append(Step(n))
            continue
        up = unlocking_plan(plan, lambda p, n=n: p.max_variations >= n, higher)
        if up is not None:
            steps.append(Step(n, unlock=up.name))
    return steps


def locked_ranges(steps: list[Step]) -> list[LockedRange]:
    ranges: list[LockedRange] = []
    for step in steps:
        if not step.locked:
            continue
        if ranges and ranges[-1].plan == step.unlock and ranges[-1].last == step.value - 1:
            ranges[-1] = LockedRange(ranges[-1].first, step.value, step.unlock)
        else:
            ranges.append(LockedRange(step.value, step.value, step.unlock))
    return ranges


def locked_engines(plan, engines: list[tuple[str, str]]) -> dict[str, str]:
    """{engine value: the plan that unlocks it} for each model choice outside ``plan``."""
    higher = _higher_plans(plan)
    locked = {}
    for value, _label in engines:
        if value == "auto" or ":" not in value:
            continue
        provider, model = value.split(":", 1)
        if plan_allows(plan, provider, model):
            continue
        up = unlocking_plan(plan, lambda p, pr=provider, m=model: plan_allows(p, pr, m), higher)
        locked[value] = up.name if up is not None else ""
    return locked


def upgrade_help() -> dict:
    """How a user gets a higher plan here: checkout when payments are on; otherwise whom to
    ask (the first of ``settings.ADMINS`` when set), since staff change plans in the admin."""
    contact = ""
    admins = getattr(settings, "ADMINS", None) or []
    if admins:
        first = admins[0]
        contact = first[1] if isinstance(first, list | tuple) else str(first)
    return {"payments_enabled": payments.payments_enabled(), "contact": contact}
