"""Reads: ledger history, ledger totals, plans and packs on offer, usage reports."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import CreditAccount, CreditPack, LedgerEntry, Plan

Kind = LedgerEntry.Kind


def ledger_for(*, user):
    """The user's credit history, newest first, without zero-credit holds of free jobs."""
    return (
        LedgerEntry.objects.filter(account__user=user)
        .exclude(amount=0, held_delta=0)
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class LedgerTotals:
    balance: int
    held: int
    plan_credits: int


def ledger_totals(*, account: CreditAccount) -> LedgerTotals:
    """Replay the account's ledger from the start: what the cached columns must equal."""
    balance = held = plan = 0
    for kind, amount, held_delta in (
        LedgerEntry.objects.filter(account=account)
        .order_by("id")
        .values_list("kind", "amount", "held_delta")
    ):
        balance += amount
        held += held_delta
        if kind == Kind.GRANT:
            plan += amount
        elif amount < 0:
            plan = max(0, plan + amount)
        plan = min(plan, balance)
    return LedgerTotals(balance=balance, held=held, plan_credits=plan)


def plans_offered():
    return Plan.objects.filter(is_active=True).order_by("position", "price_cents")


def packs_offered():
    return CreditPack.objects.filter(is_active=True).order_by("position", "price_cents")


# --------------------------------------------------------------------------- usage


@dataclass(frozen=True)
class UsageRow:
    day: date
    module: str
    provider: str
    jobs: int
    credits: int


def usage_rows(*, user, start: datetime, end: datetime) -> list[UsageRow]:
    """Credits spent per day, module and provider in [start, end): captures net of refunds.

    Days are in the site's time zone.
    """
    rows = (
        LedgerEntry.objects.filter(
            account__user=user,
            kind__in=[Kind.CAPTURE, Kind.REFUND],
            created_at__gte=start,
            created_at__lt=end,
        )
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "module", "provider")
        .annotate(
            credits=-Sum("amount"),
            jobs=Count("id", filter=Q(kind=Kind.CAPTURE)),
        )
        .order_by("day", "module", "provider")
    )
    return [
        UsageRow(
            day=r["day"],
            module=r["module"] or "—",
            provider=r["provider"] or "—",
            jobs=r["jobs"],
            credits=r["credits"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Bar:
    day: date
    credits: int
    x: float
    y: float
    width: float
    height: float
    show_label: bool

    @property
    def label_x(self) -> float:
        return round(self.x + self.width / 2, 2)


@dataclass(frozen=True)
class UsageChart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    max_credits: int
    left: int
    bars: list[Bar]
    ticks: list[tuple[float, int]]  # (y, value) for gridlines


def usage_chart(*, rows: list[UsageRow], start: datetime, end: datetime) -> UsageChart:
    """Geometry for a server-rendered SVG bar chart: one bar per day of the period."""
    width, height, top, bottom, left = 720, 220, 12, 190, 44
    tz = timezone.get_current_timezone()
    first = timezone.localtime(start, tz).date()
    last = timezone.localtime(end - timedelta(microseconds=1), tz).date()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    per_day: dict[date, int] = defaultdict(int)
    for row in rows:
        per_day[row.day] += row.credits
    peak = max([per_day[d] for d in days] + [0])
    scale_max = max(peak, 1)
    slot = (width - left - 8) / max(len(days), 1)
    bars = []
    for i, day in enumerate(days):
        credits = max(per_day[day], 0)
        h = (bottom - top) * credits / scale_max
        bars.append(
            Bar(
                day=day,
                credits=credits,
                x=round(left + i * slot + slot * 0.15, 2),
                y=round(bottom - h, 2),
                width=round(slot * 0.7, 2),
                height=round(h, 2),
                show_label=i % 7 == 0,
            )
        )
    ticks = [(round(bottom - (bottom - top) * f, 2), round(scale_max * f)) for f in (0, 0.5, 1)]
    return UsageChart(
        width=width,
        height=height,
        plot_top=top,
        plot_bottom=bottom,
        max_credits=peak,
        left=left,
        bars=bars,
        ticks=ticks,
    )


@dataclass(frozen=True)
class UsageSummary:
    key: str
    credits: int
    jobs: int


def usage_totals(rows: list[UsageRow], field: str) -> list[UsageSummary]:
    """Rows summed by ``field`` ("module" or "provider"), largest first."""
    credits: dict[str, int] = defaultdict(int)
    jobs: dict[str, int] = defaultdict(int)
    for row in rows:
        credits[getattr(row, field)] += row.credits
        jobs[getattr(row, field)] += row.jobs
    return sorted(
        (UsageSummary(key=k, credits=credits[k], jobs=jobs[k]) for k in credits),
        key=lambda s: (-s.credits, s.key),
    )
