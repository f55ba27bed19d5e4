"""Every catalog operation has a price, and what the button quotes is what is captured."""

import pytest

from billing.models import LedgerEntry
from billing.services import credits_add
from studio.jobs import services
from studio.jobs.models import Job
from studio.jobs.registry import OPERATIONS

pytestmark = pytest.mark.django_db

LOCAL_OPS = sorted(k for k, op in OPERATIONS.items() if op.provider == "local")


@pytest.mark.parametrize("key", LOCAL_OPS)
def test_local_operations_are_priced_and_quoted(key, alice):
    from billing.models import Plan
    from billing.services import plan_change

    plan_change(user=alice, plan=Plan.objects.get(slug="business"))
    op = OPERATIONS[key]
    quote = services.job_quote(operation=op, params={"targets": [{"key": "x"}]})
    assert quote.credits >= 0 and quote.label
    check = services.job_check(user=alice, operation=op, params={"targets": [{"key": "x"}]})
    assert check.allowed, check.reason


def test_plan_limits_apply_to_offline_operations(alice, alice_asset):
    # Free: fast upscales only, and at most its output resolution.
    op = OPERATIONS["upscale.hq"]
    check = services.job_check(user=alice, operation=op, params={}, inputs=[alice_asset])
    assert not check.allowed and "Upgrade" in check.reason
    big = OPERATIONS["tools.resize"]
    params = {"width": 16000, "height": 16000, "mode": "exact"}
    check = services.job_check(user=alice, operation=big, params=params, inputs=[alice_asset])
    assert not check.allowed and "MP" in check.reason


@pytest.mark.parametrize(
    ("key", "cleaned"),
    [
        ("tools.resize", {"width": 40, "mode": "fit"}),
        ("tools.palette", {"count": 4, "mode": "vibrant"}),
        ("upscale.fast", {"scale": "2", "output_format": "png"}),
        (
            "edit.outpaint",
            {"left": 8, "right": 0, "up": 0, "down": 0, "method": "auto", "output_format": "png"},
        ),
    ],
)
def test_the_quoted_estimate_is_what_gets_captured(key, cleaned, alice, alice_asset):
    from billing.models import PriceRule

    # Give the operation a real price so the comparison means something.
    PriceRule.objects.update_or_create(
        operation=key, provider="local", model="", tier="", defaults={"credits_per_unit": 2}
    )
    credits_add(user=alice, amount=100, kind="purchase", reason="test")
    op = OPERATIONS[key]
    params = op.build_params(cleaned, [alice_asset])
    quoted = services.job_check(user=alice, operation=op, params=params).credits
    job = services.job_create(user=alice, operation=op, cleaned=cleaned, inputs=[alice_asset])
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    capture = LedgerEntry.objects.get(job_id=job.public_id, kind="capture")
    assert quoted == job.credits_estimated == -capture.amount == 2
