"""Teams of the administrator's own organisation."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status

from server.api.deps import Administrator, EngineDep, SessionDep, refuse
from server.crud import accounts as crud
from server.errors import NotFound
from server.models.accounts import Team, TeamCreate, TeamPublic

router = APIRouter(tags=["teams"])


@router.post("/teams", response_model=TeamPublic, status_code=status.HTTP_201_CREATED)
def create_team(body: TeamCreate, admin: Administrator, session: SessionDep) -> Team:
    team = crud.create_team(session=session, organisation_id=admin.organisation_id, name=body.name)
    session.commit()
    return team


@router.get("/teams", response_model=list[TeamPublic])
def list_teams(admin: Administrator, session: SessionDep) -> list[Team]:
    return crud.list_teams(session=session, organisation_id=admin.organisation_id)


@router.get("/teams/{team_id}", response_model=TeamPublic)
def read_team(
    request: Request,
    team_id: uuid.UUID,
    admin: Administrator,
    session: SessionDep,
    engine: EngineDep,
) -> Team:
    team = session.get(Team, team_id)
    if team is None or team.organisation_id != admin.organisation_id:
        raise refuse(engine, request, admin.actor, NotFound("not_found", "No such team."))
    return team
