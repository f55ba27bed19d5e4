"""``make run``'s supervisor: which processes it starts and what each consumes."""

from __future__ import annotations

from imagestudio.supervisor import services


def _arg(command: list[str], name: str) -> str:
    return next(a.split("=", 1)[1] for a in command if a.startswith(f"--{name}="))


def test_batch_rows_get_a_thread_pool_worker_of_their_own():
    by_name = {
        s.name: s
        for s in services(port=8000, concurrency=2, python="py", var_dir="var", batch_threads=12)
    }
    assert set(by_name) == {"web", "worker", "batch-worker", "beat"}
    worker, batch = by_name["worker"].argv, by_name["batch-worker"].argv
    # What users wait on never queues behind a batch, and every queue has a consumer.
    assert _arg(worker, "queues").split(",") == ["interactive", "maintenance"]
    assert _arg(batch, "queues") == "batch"
    # Batch rows mostly wait on providers: threads, enough for the providers' limits.
    assert _arg(batch, "pool") == "threads" and _arg(batch, "concurrency") == "12"
    assert _arg(worker, "concurrency") == "2"
    assert by_name["worker"].restart and by_name["batch-worker"].restart
    # Two workers on one machine need distinct names.
    assert _arg(worker, "hostname") != _arg(batch, "hostname")
