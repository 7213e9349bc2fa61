"""``python -m tests.support.die_after_push_commit``: ``python -m server``, but the process SIGKILLs
itself right after the first push has committed, before its answer is even made.

For tests/integration/sync/test_server_killed.py: a server crash in the one window where the
dossier has the batch and the device cannot know it. No hook in production code: this wraps the
push route's worker (``server.api.routes.sync._push``, which runs ``sync_push.push`` and then
``session.commit()``), looked up by the route at call time. When it returns, the transaction is
committed (SQLite: written to the file; PostgreSQL: acknowledged by the database) and nothing of
the response has been serialised or written to the socket. ``os.kill(os.getpid(), SIGKILL)`` then
ends the process as a crash would: no shutdown, no flushing, the connection simply drops.

A push that fails (raises) is not a commit and kills nothing.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from server.__main__ import main
from server.api.routes import sync as sync_routes

_original_push = sync_routes._push


def _push_then_die(*args: Any, **kwargs: Any) -> Any:
    response = _original_push(*args, **kwargs)  # sync_push.push, then session.commit()
    print("die_after_push_commit: committed, SIGKILL now", file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    return response  # never reached


sync_routes._push = _push_then_die

if __name__ == "__main__":
    sys.exit(main([]))
