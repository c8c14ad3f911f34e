"""Module-level handlers for the deadline and handler-exception fault tests.

Module level so that the ``process`` strategy can send them to its child processes.
"""

from __future__ import annotations

import asyncio
from typing import Any


def complete(job: Any) -> dict[str, Any]:
    return {"done": True}


async def complete_async(job: Any) -> dict[str, Any]:
    await asyncio.sleep(0)
    return {"done": True}
