"""``ConcurrencyLimit`` lets at most ``pushes`` pushes in at once; waiting pushes hold no place, so
pulls get past them. A fake ASGI app counts who is inside; no timing is asserted."""

from __future__ import annotations

import asyncio
from typing import Any

from server.limits import PUSH_PATH, ConcurrencyLimit


class Inside:
    def __init__(self) -> None:
        self.now: dict[str, int] = {"push": 0, "pull": 0}
        self.most: dict[str, int] = {"push": 0, "pull": 0}
        self.release = asyncio.Event()

    async def __call__(self, scope: dict[str, Any], _receive: Any, _send: Any) -> None:
        kind = "push" if scope["path"] == PUSH_PATH else "pull"
        self.now[kind] += 1
        self.most[kind] = max(self.most[kind], self.now[kind])
        if kind == "push":
            await self.release.wait()
        self.now[kind] -= 1


async def _noop(*_args: Any) -> Any:
    return None


def test_pushes_wait_outside_and_pulls_get_past_them() -> None:
    async def run() -> Inside:
        inside = Inside()
        gate = ConcurrencyLimit(inside, limit=4, pushes=2)  # type: ignore[arg-type]

        async def call(path: str) -> None:
            await gate({"type": "http", "path": path}, _noop, _noop)

        pushes = [asyncio.create_task(call(PUSH_PATH)) for _ in range(10)]
        await asyncio.sleep(0)
        # Two pushes are inside, eight wait without a place: all ten pulls still get through.
        pulls = asyncio.gather(*(call("/sync/pull") for _ in range(10)))
        await asyncio.wait_for(pulls, 30)  # a guard against a hang, not a time limit
        assert inside.now["push"] == 2
        inside.release.set()
        await asyncio.gather(*pushes)
        return inside

    inside = asyncio.run(run())
    assert inside.most["push"] == 2
    assert inside.now == {"push": 0, "pull": 0}
