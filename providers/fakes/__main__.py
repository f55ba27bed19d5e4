"""Run every fake provider server until Ctrl-C: ``python -m providers.fakes``.

Prints the environment variables that point Image Studio at the fakes, ready to paste
into a shell or an ``.env`` file.
"""

from __future__ import annotations

import signal
import sys
import threading

from . import env_for, start_all


def main() -> int:
    servers = start_all()
    try:
        for name, value in sorted(env_for(servers).items()):
            print(f"{name}={value}")
        print("# fake provider servers running; press Ctrl-C to stop", file=sys.stderr, flush=True)
        sys.stdout.flush()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        for server in servers.values():
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
