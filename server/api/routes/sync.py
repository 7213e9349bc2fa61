"""The sync endpoints: sync/protocol.py over HTTP."""

from __future__ import annotations

from fastapi import APIRouter, Request

from server import sync_pull, sync_push
from server.api.deps import CaseWorker, EngineDep, SessionDep, refuse
from server.errors import ApiError, Forbidden
from sync.protocol import PROTOCOL_VERSION, PullRequest, PullResponse, PushRequest, PushResponse

router = APIRouter(prefix="/sync", tags=["sync"])


def _check_protocol(version: int) -> None:
    if version != PROTOCOL_VERSION:
        raise ApiError("protocol_unsupported", f"This server speaks protocol {PROTOCOL_VERSION}.")


@router.post("/push", response_model=PushResponse)
def push(
    request: Request, body: PushRequest, worker: CaseWorker, session: SessionDep, engine: EngineDep
) -> PushResponse:
    _check_protocol(body.protocol)
    if body.device_id != worker.device_id:
        error = Forbidden("device_mismatch", "The push names another device than the token.")
        raise refuse(engine, request, worker.actor, error)
    response = sync_push.push(session, worker, body)
    session.commit()
    return response


@router.post("/pull", response_model=PullResponse)
def pull(body: PullRequest, worker: CaseWorker, session: SessionDep) -> PullResponse:
    _check_protocol(body.protocol)
    response = sync_pull.pull(session, worker, body)
    session.commit()
    return response
