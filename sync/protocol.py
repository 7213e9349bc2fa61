"""The sync wire protocol between a device and the shared dossier server (pydantic models).

A device sends **mutations** and receives **changes**:

    push:  PushRequest(device_id, mutations)  ->  PushResponse(results: one per mutation)
    pull:  PullRequest(cursor, limit)         ->  PullResponse(changes, cursor, done)

- Ids are made on the device: every record has a UUID, and so does every mutation. The server
  applies a (device, mutation id) once. A resend gets ``DUPLICATE``, and the same id with a
  different payload (``Mutation.digest``) is refused.
- A mutation carries only the fields it changes, plus ``base_seq``: the server sequence number of
  the record as the device last *pulled* it. The server compares per field. A field that another
  device changed after ``base_seq`` is not overwritten: the result is ``CONFLICT``, with the
  server's values, and the user chooses. Edits to different fields merge. A device's own earlier
  edits never conflict with its later ones.
- ``device_seq`` orders one device's own mutations: a number the device gives each change when it
  is made (its outbox row's, ``models.outbox``), increasing and never reused. With it the server
  keeps, per field, the newest value from the same device even when batches arrive out of order:
  a field whose current value that device wrote with a higher ``device_seq`` is not overwritten
  by its older mutation. Such a mutation is acknowledged (``SUPERSEDED`` when none of it applied,
  ``APPLIED`` when some fields did); it is no conflict. Without ``device_seq`` (older clients)
  the order of arrival counts, as before. See server/sync_push.py for deletions.
- A record's mutations apply in the order sent. When one is not applied (CONFLICT or REJECTED),
  the server skips that record's later mutations in the same batch and returns no result for them;
  they wait on the device.
- Pull goes by the server's own sequence number, never by device clocks. ``device_time`` travels
  along for the audit log only. Deletions travel as changes with ``op=delete`` (tombstones).

- A device whose access to a case ended (taken off the case, its dossier access ended, or for a
  team lead: no member of the team takes part any more) gets no more changes of it, and
  ``PullResponse.access_ended`` names the case once, on the page whose cursor passes the end:
  the device then removes the case and everything of it (``models.sync_state.forget_cases``).

- A tablet lets go of a closed case it no longer needs (``models.caseload``) and keeps only its
  id. The server does not know: it sends the changes of every case the device sees, as before.
  A pulled change of a released case is not applied; the tablet marks the case wanted and names
  it in its next ``PullRequest.refetch`` (at most ``MAX_REFETCH`` ids a request; more wait for
  the next one). The server back-fills each named case it lets the caller see now like a new
  membership: every change of it up to the request's cursor, before the page's changes, and
  ``PullResponse.returned`` names it; the tablet then holds the whole case again. ``refetch`` is
  sent only when not empty, and only to a server that answered ``returned`` earlier in the same
  cycle: an older server never sees the field (and the tablet keeps its closed cases with one).

Everything is ``extra="forbid"``: a field the other side does not know is an error, not silently
dropped data.

Versions. ``PROTOCOL_VERSION`` (``protocol`` in the request body) is the wire protocol: a server
refuses any other, so it changes only with a break. Fields added to an answer since are sent only
to an app that asks for them with the query parameter ``?protocol=N`` on ``POST /sync/pull``
(``PULL_PROTOCOL_VERSION``, as ``sync.team_protocol`` does): an older app sends none (read as 1)
and gets exactly the answer it knows, which its ``extra="forbid"`` accepts; a server from before
ignores the parameter, and the new field's default (an empty list) is what the app reads then.

- 1: the first version.
- 2: ``PullResponse.access_ended``.
- 3: ``PullResponse.returned`` (and the server reads ``PullRequest.refetch``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

PROTOCOL_VERSION = 1
PULL_PROTOCOL_VERSION = 3  # the pull answer this app reads: the query parameter ``protocol``
# The fields of PullResponse that came after version 1, by the version that brought them.
PULL_FIELDS_SINCE: dict[str, int] = {"access_ended": 2, "returned": 3}
MAX_REFETCH = 100  # released cases one pull may ask back; more wait for the next pull
MAX_PUSH_BATCH = 500
MAX_PULL_LIMIT = 1000
MAX_SEQ = 2**63 - 1  # the largest device sequence number (device_seq): stored as BIGINT
# The largest server sequence number (cursor, audit event ids): the server's seq and id columns
# are INTEGER, and PostgreSQL refuses a larger number compared with them (a DataError, which was
# a 500). Two billion changes is far beyond one neighbourhood's dossier.
MAX_SERVER_SEQ = 2**31 - 1


class Entity(StrEnum):
    RESIDENT = "resident"
    CASE = "case"
    PARTICIPANT = "participant"
    MEETING = "meeting"
    AGREEMENT = "agreement"
    MEASUREMENT = "measurement"
    # Evidence of a signed plan (models/signing.py): push-only and immutable, see below.
    PLAN_VERSION = "plan_version"
    PLAN_SIGNATURE = "plan_signature"


# Push-only, immutable evidence: a frozen plan version (record id = the version id; fields
# case_id, meeting_id, version, plan_hash, plan_json as the canonical JSON text, frozen_at) and a
# signature on it (record id = the signature id; fields record as ``SignatureRecord.to_json()``,
# plan_version_id, position, image as base64 PNG). The tablet queues them when a plan is signed;
# the server keeps them (a different content for a kept id, or a delete: REJECTED ``frozen``) and
# never sends them in a pull (an older app would fail on an unknown entity).
PUSH_ONLY: frozenset[Entity] = frozenset({Entity.PLAN_VERSION, Entity.PLAN_SIGNATURE})


class Op(StrEnum):
    UPSERT = "upsert"
    DELETE = "delete"


class Outcome(StrEnum):
    APPLIED = "applied"  # new, applied now
    DUPLICATE = "duplicate"  # applied before (a resend): acknowledged, not applied twice
    # Acknowledged, nothing applied: the same device's newer edit (higher device_seq) already
    # holds every field it sets. Only sent in answer to mutations that carry a device_seq.
    SUPERSEDED = "superseded"
    CONFLICT = "conflict"  # a field changed on the server since base_seq; nothing applied
    REJECTED = "rejected"  # not allowed or invalid; held back on the device with the reason


# The outcomes that settle a mutation: it leaves the device's outbox, and the server goes on with
# the record's later mutations in the batch.
ACKNOWLEDGED = frozenset({Outcome.APPLIED, Outcome.DUPLICATE, Outcome.SUPERSEDED})


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Fields = dict[str, JsonValue]


class Mutation(_Wire):
    mutation_id: UUID
    entity: Entity
    record_id: UUID
    case_id: UUID  # the server authorises by case and checks the resident's consent
    op: Op
    fields: Fields = Field(default_factory=dict)  # only the changed fields; empty for a delete
    base_seq: int | None = None  # None: a record the server has not seen from us yet
    device_time: AwareDatetime
    # The device's own order of its changes (increasing, never reused); None from older clients.
    device_seq: Annotated[int, Field(ge=1, le=MAX_SEQ)] | None = None

    def digest(self) -> str:
        """What must be equal for a resend to count as the same mutation. Device time and
        device seq are left out: they say when, not what (and a mutation queued before the
        device learnt to number its changes is sent again with a number)."""
        body = self.model_dump(mode="json", exclude={"device_time", "device_seq"})
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class PushRequest(_Wire):
    protocol: int = PROTOCOL_VERSION
    device_id: UUID
    mutations: Annotated[list[Mutation], Field(max_length=MAX_PUSH_BATCH)]


class MutationResult(_Wire):
    mutation_id: UUID
    outcome: Outcome
    server_seq: int | None = None  # the record's sequence number after this mutation
    reason: str | None = None  # a code for REJECTED ("not_authorised", "no_consent", ...)
    server_fields: Fields | None = None  # CONFLICT: the server's current values of those fields
    server_base_seq: int | None = None  # CONFLICT: rebase on this when keeping one's own value


class PushResponse(_Wire):
    results: list[MutationResult]


class PullRequest(_Wire):
    protocol: int = PROTOCOL_VERSION
    # The last server sequence number already received (see MAX_SERVER_SEQ).
    cursor: Annotated[int, Field(ge=0, le=MAX_SERVER_SEQ)] = 0
    limit: Annotated[int, Field(ge=1, le=MAX_PULL_LIMIT)] = 500
    # Closed cases this device let go of and wants back whole, because a change of them came
    # (version 3). Sent only when not empty (sync.client).
    refetch: Annotated[list[UUID], Field(max_length=MAX_REFETCH)] = Field(default_factory=list)


class Change(_Wire):
    seq: int
    entity: Entity
    record_id: UUID
    case_id: UUID
    op: Op
    fields: Fields = Field(default_factory=dict)  # the fields this change set
    origin_device: UUID
    mutation_id: UUID
    server_time: datetime


class PullResponse(_Wire):
    changes: list[Change]
    cursor: int  # send this as the next PullRequest.cursor
    done: bool  # False: more pages wait
    # Cases this device's account no longer sees, whose access ended after the request's cursor
    # and by this page's ``cursor``: remove them here. Version 2 (see "Versions" above).
    access_ended: list[UUID] = Field(default_factory=list)
    # Of the request's ``refetch`` cases, those back-filled whole on this page (the others are
    # not visible to the caller now). Version 3: always a list then; None from an older server.
    returned: list[UUID] | None = None
