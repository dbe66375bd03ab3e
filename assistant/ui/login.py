"""The chat app's sign-in: the one `user:password` it was started with, checked so that guessing is slow.

Gradio's own check (a dict of users) answers a wrong password at once, as often as it is asked, so a
password could be guessed at network speed. `Login` is the check Gradio calls instead: it compares in
constant time, and after each failure every next attempt (from anyone: Gradio does not say who asks)
waits, one second after the first failure, doubling to at most `MAX_DELAY`; a success resets it.
Attempts wait in turn, so parallel guessing is no faster. The waiting is `await`ed, so the server keeps
answering everything else meanwhile.

`weakness` says what is wrong with a password that is easy to guess; `serve` prints it as a warning.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger("assistant.chat")

FIRST_DELAY = 1.0  # seconds every attempt waits after one failure
MAX_DELAY = 30.0  # ... doubling per further failure up to this
MIN_LENGTH = 12  # shorter passwords are called weak (NIST SP 800-63B asks at least 8; 12 for a shared secret)
COMMON = frozenset("password passw0rd 123456 12345678 123456789 1234567890 qwerty qwertyuiop letmein admin "
                   "welcome secret changeme iloveyou monkey dragon abc123 111111 000000 test guest".split())


class Login:
    """Gradio's `auth` is `Login(user, password).check`: True for the one user and password, slower after each
    failure. (A method, not `__call__`: Gradio awaits only what `inspect.iscoroutinefunction` says is a
    coroutine function, which an instance with an async `__call__` is not; its coroutine, never awaited,
    would count as a successful sign-in for any password.)"""

    def __init__(self, user: str, password: str, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._user = user.encode("utf-8")
        self._password = password.encode("utf-8")
        self._clock = clock
        self._sleep = sleep
        self._lock: asyncio.Lock | None = None
        self.failures = 0  # consecutive failed attempts
        self._not_before = 0.0

    def delay(self) -> float:
        """How long the next attempt waits (0 without a recent failure)."""
        return max(0.0, self._not_before - self._clock())

    async def check(self, username: str, password: str) -> bool:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if (wait := self.delay()) > 0:
                await self._sleep(wait)
            user_ok = hmac.compare_digest(str(username).encode("utf-8"), self._user)
            password_ok = hmac.compare_digest(str(password).encode("utf-8"), self._password)
            if user_ok and password_ok:
                self.failures = 0
                self._not_before = 0.0
                return True
            self.failures += 1
            self._not_before = self._clock() + min(MAX_DELAY, FIRST_DELAY * 2 ** (self.failures - 1))
            log.warning("failed sign-in (%d in a row); the next attempt waits %.0f s", self.failures, self.delay())
            return False


def weakness(user: str, password: str) -> str | None:
    """Why `password` is easy to guess, or None."""
    if password.lower() in COMMON or password.lower() == user.lower():
        return "it is a common password or the user name"
    if len(password) < MIN_LENGTH:
        return f"it has {len(password)} characters; use at least {MIN_LENGTH}"
    if len(set(password)) <= 2:
        return "it repeats one or two characters"
    return None
