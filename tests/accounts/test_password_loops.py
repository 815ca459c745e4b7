"""One Passwords object serves several event loops (CLI commands, a server restarted in-process).

asyncio primitives bind to the first loop that waits on them; a shared hashing cap must not turn
a later login into a 500 "bound to a different event loop".
"""

from __future__ import annotations

import asyncio

from agora.accounts.passwords import Passwords


def test_the_hashing_cap_works_across_event_loops() -> None:
    passwords = Passwords("test", max_concurrent=1)

    async def contended_logins() -> list[bool]:
        stored = await passwords.hash("correct horse battery")
        results = await asyncio.gather(*(passwords.verify(stored, "correct horse battery") for _ in range(4)))
        return [ok for ok, _ in results]

    assert asyncio.run(contended_logins()) == [True] * 4
    # A second loop, as after a restart: the cap must still hold and not raise.
    assert asyncio.run(contended_logins()) == [True] * 4
