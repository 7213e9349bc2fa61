"""The sync endpoints: sync/protocol.py over HTTP.

The routes are ``async def`` and do their database work in one thread-pool task: a plain ``def``
route costs FastAPI two hand-overs to the thread pool (the route, then checking its answer against
the response model), and under load every hand-over waits for the GIL (bench/sync_load.py).

Both routes count against one per-device rate limit (server/limits.py), once the token and the
device are checked and before the dossier is touched: over it, 429 with ``Retry-After``.

``POST /sync/pull?protocol=N`` says which pull answer the app reads (``sync.protocol``,
"Versions"): the fields of later versions are left out, so an older app (no parameter: 1) gets
the answer it knows. The body's ``protocol`` is the wire protocol and must match exactly.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from server import limits, sync_pull, sync_push
from server.api.deps import CaseWorker, EngineDep, SessionDep, refuse
from server.errors import ApiError, Forbidden
from server.principal import Principal
from sync.protocol import (
    PROTOCOL_VERSION,
    PULL_FIELDS_SINCE,
    PULL_PROTOCOL_VERSION,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)

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


PullProtocol = Annotated[
    int,
    Query(
        ge=1,
        description=f"the pull answer version the app reads (1..{PULL_PROTOCOL_VERSION}); "
        "fields of later versions are left out. Default 1: apps from before the parameter",
    ),
]


@router.post("/pull", response_model=PullResponse, responses=limits.openapi_responses())
async def pull(
    request: Request,
    body: PullRequest,
    worker: CaseWorker,
    session: SessionDep,
    protocol: PullProtocol = 1,
) -> Response:
    _check_protocol(body.protocol)
    limits.limit(request, "sync", device=str(worker.device_id), ip=False)
    answer = await run_in_threadpool(_pull, body, worker, session)
    later = {name for name, since in PULL_FIELDS_SINCE.items() if since > protocol}
    # Serialised once, here: the response model only documents the answer.
    content = answer.model_dump_json(exclude=later or None)
    return Response(content=content, media_type="application/json")


def _pull(body: PullRequest, worker: Principal, session: Session) -> PullResponse:
    response = sync_pull.pull(session, worker, body)
    session.commit()
    return response
