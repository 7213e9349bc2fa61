"""The sync endpoints: sync/protocol.py over HTTP.

The routes are ``async def`` and do their database work in one thread-pool task: a plain ``def``
route costs FastAPI two hand-overs to the thread pool (the route, then checking its answer against
the response model), and under load every hand-over waits for the GIL (bench/sync_load.py).

Both routes count against one per-device rate limit (server/limits.py), once the token and the
device are checked and before the dossier is touched: over it, 429 with ``Retry-After``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from server import limits, sync_pull, sync_push
from server.api.deps import CaseWorker, EngineDep, SessionDep, refuse
from server.errors import ApiError, Forbidden
from server.principal import Principal
from sync.protocol import PROTOCOL_VERSION, PullRequest, PullResponse, PushRequest, PushResponse

router = APIRouter(prefix="/sync", tags=["sync"])


def _check_protocol(version: int) -> None:
    if version != PROTOCOL_VERSION:
        raise ApiError("protocol_unsupported", f"This server speaks protocol {PROTOCOL_VERSION}.")


@router.post("/push", response_model=PushResponse, responses=limits.openapi_responses())
async def push(
    request: Request, body: PushRequest, worker: CaseWorker, session: SessionDep, engine: EngineDep
) -> PushResponse:
    _check_protocol(body.protocol)
    limits.limit(request, "sync", device=str(worker.device_id), ip=False)
    return await run_in_threadpool(_push, request, body, worker, session, engine)


def _push(
    request: Request, body: PushRequest, worker: Principal, session: Session, engine: Engine
) -> PushResponse:
    if body.device_id != worker.device_id:
        error = Forbidden("device_mismatch", "The push names another device than the token.")
        raise refuse(engine, request, worker.actor, error)
    response = sync_push.push(session, worker, body)
    session.commit()
    return response


@router.post("/pull", response_model=PullResponse, responses=limits.openapi_responses())
async def pull(
    request: Request, body: PullRequest, worker: CaseWorker, session: SessionDep
) -> PullResponse:
    _check_protocol(body.protocol)
    limits.limit(request, "sync", device=str(worker.device_id), ip=False)
    return await run_in_threadpool(_pull, body, worker, session)


def _pull(body: PullRequest, worker: Principal, session: Session) -> PullResponse:
    response = sync_pull.pull(session, worker, body)
    session.commit()
    return response
