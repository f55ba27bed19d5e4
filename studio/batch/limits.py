"""Per-provider concurrency shared by every user's batches, and the 429 slow-down.

A provider has ``limit`` slots (``BATCH_PROVIDER_LIMITS``). A batch row takes a slot (a
lease with an expiry, so a dead worker's slot comes back) before its job is created and
gives it back as soon as the provider's answer is in (storing the result needs no slot),
or when the job ends without one. A row that finds no free slot waits. A rate-limit answer
(HTTP 429) halves the provider's slots for everybody and holds back new work until its
Retry-After has passed; the full limit returns after ``BATCH_THROTTLE_SECONDS``.

Two stores with one behaviour: Redis (a sorted set of leases per provider, changed by
Lua scripts so a check-and-take is atomic across every process and machine), and, with
no Redis, a JSON file under a file lock, which is atomic across the web and worker
processes of one machine (the embedded setup).
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings


def provider_limit(provider: str) -> int:
    limits = settings.BATCH_PROVIDER_LIMITS
    return max(1, int(limits.get(provider, limits.get("default", 4))))


def _effective(limit: int, throttled_until: float, now: float) -> int:
    return max(1, limit // 2) if throttled_until > now else limit


class FileLimiter:
    """Leases in one JSON file, changed under ``flock`` (processes of one machine)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    @contextmanager
    def _state(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path, "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                fh.seek(0)
                raw = fh.read()
                try:
                    state = json.loads(raw) if raw.strip() else {}
                except ValueError:
                    state = {}
                yield state
                fh.seek(0)
                fh.truncate()
                fh.write(json.dumps(state))
                fh.flush()
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def acquire(self, provider: str, lease: str, *, ttl: float) -> bool:
        now = time.time()
        with self._state() as state:
            entry = state.setdefault(provider, {"leases": {}, "until": 0, "paused": 0})
            leases = {k: v for k, v in entry["leases"].items() if v > now}
            if lease in leases:
                leases[lease] = now + ttl
                entry["leases"] = leases
                return True
            if entry.get("paused", 0) > now:
                entry["leases"] = leases
                return False
            limit = _effective(provider_limit(provider), entry.get("until", 0), now)
            if len(leases) >= limit:
                entry["leases"] = leases
                return False
            leases[lease] = now + ttl
            entry["leases"] = leases
            return True

    def release(self, provider: str, lease: str) -> None:
        with self._state() as state:
            entry = state.get(provider)
            if entry:
                entry["leases"].pop(lease, None)

    def throttle(self, provider: str, *, retry_after: float | None) -> None:
        now = time.time()
        with self._state() as state:
            entry = state.setdefault(provider, {"leases": {}, "until": 0, "paused": 0})
            entry["until"] = now + settings.BATCH_THROTTLE_SECONDS
            entry["paused"] = max(entry.get("paused", 0), now + (retry_after or 1.0))

    def in_use(self, provider: str) -> int:
        now = time.time()
        with self._state() as state:
            entry = state.get(provider) or {"leases": {}}
            return sum(1 for v in entry["leases"].values() if v > now)

    def status(self, provider: str) -> dict:
        now = time.time()
        with self._state() as state:
            entry = state.get(provider) or {"leases": {}, "until": 0, "paused": 0}
            return {
                "in_use": sum(1 for v in entry["leases"].values() if v > now),
                "limit": _effective(provider_limit(provider), entry.get("until", 0), now),
                "throttled": entry.get("until", 0) > now,
            }

    def reset(self) -> None:
        with self._state() as state:
            state.clear()


_ACQUIRE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  return 1
end
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > now then return 0 end
local limit = tonumber(ARGV[4])
local until_ = tonumber(redis.call('GET', KEYS[2]) or '0')
if until_ > now then limit = math.max(1, math.floor(limit / 2)) end
if redis.call('ZCARD', KEYS[1]) >= limit then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3])) + 60)
return 1
"""


class RedisLimiter:
    """Leases in a Redis sorted set per provider (score = expiry), atomic via Lua."""

    def __init__(self, url: str, prefix: str = "batch-limit") -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.prefix = prefix
        self._acquire = self.client.register_script(_ACQUIRE)

    def _keys(self, provider: str) -> list[str]:
        base = f"{self.prefix}:{provider}"
        return [f"{base}:leases", f"{base}:throttled", f"{base}:paused"]

    def acquire(self, provider: str, lease: str, *, ttl: float) -> bool:
        keys = self._keys(provider)
        return bool(
            self._acquire(keys=keys, args=[time.time(), lease, ttl, provider_limit(provider)])
        )

    def release(self, provider: str, lease: str) -> None:
        self.client.zrem(self._keys(provider)[0], lease)

    def throttle(self, provider: str, *, retry_after: float | None) -> None:
        now = time.time()
        _, throttled, paused = self._keys(provider)
        seconds = settings.BATCH_THROTTLE_SECONDS
        self.client.set(throttled, now + seconds, ex=math.ceil(seconds) + 1)
        pause = retry_after or 1.0
        self.client.set(paused, now + pause, ex=math.ceil(pause) + 1)

    def in_use(self, provider: str) -> int:
        leases = self._keys(provider)[0]
        return int(self.client.zcount(leases, time.time(), "+inf"))

    def status(self, provider: str) -> dict:
        now = time.time()
        until = float(self.client.get(self._keys(provider)[1]) or 0)
        return {
            "in_use": self.in_use(provider),
            "limit": _effective(provider_limit(provider), until, now),
            "throttled": until > now,
        }

    def reset(self) -> None:
        for key in self.client.scan_iter(f"{self.prefix}:*"):
            self.client.delete(key)


_limiter = None
_limiter_pid = None


def limiter():
    """The process's limiter: Redis when ``BATCH_LIMITER_URL`` names it, else the file."""
    global _limiter, _limiter_pid
    if _limiter is None or _limiter_pid != os.getpid():
        url = settings.BATCH_LIMITER_URL
        if url.startswith(("redis://", "rediss://")):
            _limiter = RedisLimiter(url)
        else:
            _limiter = FileLimiter(Path(settings.BATCH_LIMITER_FILE))
        _limiter_pid = os.getpid()
    return _limiter


def reset_limiter() -> None:
    """Forget the process's limiter (after settings changed)."""
    global _limiter
    _limiter = None
