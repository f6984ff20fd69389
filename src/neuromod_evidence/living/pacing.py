"""Politeness and patience: a client-side rate limiter and urllib3 retries whose waits can be observed.

Both take an injectable ``sleep`` (and the limiter a ``clock``) so that tests record the waits instead of
spending them; nothing here knows about an API.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from urllib3.util.retry import Retry

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class RateLimiter:
    """At most `per_second` requests per second (a minimum interval between request starts)."""

    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.interval = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until a request may start; return the time waited."""
        with self._lock:
            now = self._clock()
            wait = max(0.0, self._next - now)
            if wait > 0:
                self._sleep(wait)
            self._next = max(now, self._next) + self.interval
            return wait


def retry_class(sleep: Callable[[float], None], on_wait: Callable[[float, str], None]) -> type[Retry]:
    """A Retry whose waits go through an injectable `sleep` (tests pass a recorder, not time.sleep).

    A class attribute, not an instance one, because Retry.new() rebuilds instances from known fields.
    """

    class _Retry(Retry):
        def sleep_for_retry(self, response) -> bool:  # type: ignore[override]
            retry_after = self.get_retry_after(response)  # already capped by retry_after_max
            if retry_after:
                on_wait(retry_after, "retry-after")
                sleep(retry_after)
                return True
            return False

        def _sleep_backoff(self) -> None:
            backoff = self.get_backoff_time()
            on_wait(backoff, "backoff")
            if backoff > 0:
                sleep(backoff)

    return _Retry
