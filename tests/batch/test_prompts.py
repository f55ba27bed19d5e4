"""Prompt rows: generation through the Create operation's own rules, one job per row."""

from __future__ import annotations

import pytest

from billing.services import account_for
from studio.batch import services
from studio.batch.models import Batch

pytestmark = pytest.mark.django_db


def test_a_prompt_batch_generates_one_job_per_row(business, providers_on, eager, committed):
    providers_on("stability")
    data = (
        b"prompt;template;style;persona;variations;seed\n"
        b"A lemon on linen;instagram-square;;;1;7\n"
        b'"Limes; three of them";;;;2;\n'
        b"A pear;;;Brand X;1;\n"
        b";instagram-square;;;1;\n"
    )
    batch = services.batch_create_from_csv(user=business, data=data, name="Citrus")
    rows = {r.number: r for r in batch.rows.all()}
    assert rows[1].status == "ready" and rows[1].params["seeds"] == [7]
    assert rows[1].params["provider"] == "stability" and rows[1].credits > 0
    assert rows[2].params["variations"] == 2 and rows[2].params["prompt"] == "Limes; three of them"
    assert rows[3].error == "No persona called “Brand X”."
    assert rows[4].error == "Empty prompt."
    before = account_for(user=business).available
    total = rows[1].credits + rows[2].credits

    committed(services.batch_approve, batch=batch)

    batch.refresh_from_db()
    assert batch.status == Batch.Status.FINISHED
    rows = {r.number: r for r in batch.rows.all()}
    assert rows[1].status == "succeeded" and rows[1].job.outputs.count() == 1
    assert rows[2].status == "succeeded" and rows[2].job.outputs.count() == 2
    assert rows[1].job.module == "create" and rows[1].job.queue == "batch"
    assert rows[1].job.public_id == rows[1].hold_id
    assert account_for(user=business).available == before - total
