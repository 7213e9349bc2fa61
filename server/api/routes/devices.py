"""Enrolment codes, device enrolment, and revoking a (lost) device."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status
from sqlmodel import Session

from server import audit, limits
from server.api.deps import (
    Administrator,
    CurrentPrincipal,
    EngineDep,
    SessionDep,
    SettingsDep,
    refuse,
)
from server.audit import Action, Actor, Result
from server.crud import devices as crud_devices
from server.errors import Conflict, NotFound, Unauthorised
from server.models.devices import (
    Device,
    DeviceCredential,
    DeviceEnrol,
    DevicePublic,
    EnrolmentCodePublic,
    SigningKeyRegistration,
)
from server.models.types import utcnow

router = APIRouter(tags=["devices"])


def _granted(session: Session, actor: Actor, action: Action, route: str) -> None:
    """The audit row of a device action that was allowed (committed with the change)."""
    audit.record(
        session,
        [
            audit.event(
                actor, action=action, outcome=Result.SUCCESS, authorisation="granted", route=route
            )
        ],
    )


@router.post(
    "/enrolment-codes", response_model=EnrolmentCodePublic, status_code=status.HTTP_201_CREATED
)
def create_enrolment_code(
    admin: Administrator, session: SessionDep, settings: SettingsDep
) -> EnrolmentCodePublic:
    row, code = crud_devices.create_enrolment_code(
        session=session,
        settings=settings,
        organisation_id=admin.organisation_id,
        created_by=admin.account_id,
        now=utcnow(),
    )
    session.commit()
    return EnrolmentCodePublic(code=code, expires_at=row.expires_at)


@router.post(
    "/devices/enrol",
    response_model=DeviceCredential,
    status_code=status.HTTP_201_CREATED,
    responses=limits.openapi_responses(),
)
def enrol(
    request: Request, body: DeviceEnrol, session: SessionDep, engine: EngineDep
) -> DeviceCredential:
    limits.limit(request, "enrol")
    enrolled = crud_devices.enrol_device(
        session=session, code=body.code, label=body.label, now=utcnow()
    )
    if enrolled is None:
        error = Unauthorised("invalid_enrolment_code", "This code is unknown, used or expired.")
        raise refuse(engine, request, Actor(), error)
    device, secret = enrolled
    _granted(
        session,
        Actor(device_id=device.id, organisation_id=device.organisation_id),
        Action.ENROL,
        "/devices/enrol",
    )
    session.commit()
    return DeviceCredential(device_id=device.id, device_secret=secret)


@router.get("/devices", response_model=list[DevicePublic])
def list_devices(admin: Administrator, session: SessionDep) -> list[DevicePublic]:
    """The organisation's devices, with each one's signing key fingerprint: the one that
    ``python main.py verify`` prints for every signature of a plan PDF made on that tablet."""
    devices = crud_devices.list_devices(session=session, organisation_id=admin.organisation_id)
    return [DevicePublic.of(d) for d in devices]


@router.put(
    "/devices/me/signing-key",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={409: {"description": "this device already sent another key"}},
)
def register_signing_key(
    request: Request,
    body: SigningKeyRegistration,
    principal: CurrentPrincipal,
    session: SessionDep,
    engine: EngineDep,
) -> Response:
    """The calling device's public signing key, kept once. The same key again changes nothing;
    another key is refused (409): plans signed with the first must stay traceable to the device,
    and a tablet whose store was made anew enrols anew."""
    device = session.get(Device, principal.device_id)
    if device is None:  # get_principal checked the device; gone meanwhile
        raise refuse(engine, request, principal.actor, NotFound("not_found", "No such device."))
    if device.signing_key == body.public_key:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    if device.signing_key is not None:
        error = Conflict("signing_key_differs", "This device already has another signing key.")
        raise refuse(engine, request, principal.actor, error)
    device.signing_key = body.public_key
    session.add(device)
    _granted(session, principal.actor, Action.UPDATE, "/devices/me/signing-key")
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/devices/{device_id}/revoke", response_model=DevicePublic)
def revoke(
    request: Request,
    device_id: uuid.UUID,
    admin: Administrator,
    session: SessionDep,
    engine: EngineDep,
) -> DevicePublic:
    device = session.get(Device, device_id)
    if device is None or device.organisation_id != admin.organisation_id:
        raise refuse(engine, request, admin.actor, NotFound("not_found", "No such device."))
    crud_devices.revoke_device(session=session, device=device, now=utcnow())
    _granted(session, admin.actor, Action.REVOKE, "/devices/{device_id}/revoke")
    session.commit()
    return DevicePublic.of(device)
