"""Co-signing a plan version: the device key, signature records, frozen versions, plan status.

Why this shape (DESIGN.md "Signing", SECURITY.md "Signatures"): a finger-drawn signature alone
proves little. What makes it reliable enough (a simple electronic signature, eIDAS art. 25) is the
evidence around it, so every signature record binds together

    plan hash + SHA-256 of the drawn PNG + signer (participant id, name, role) + time (UTC) + device
    + witness (the professional holding the tablet: name, organisation, role)

and the device signs the canonical JSON of those fields with its own Ed25519 key. The witness is
taken from the device's profile (set at first run); it joined the record in format 2. A format-1
record (no witness, made before) keeps its own canonical form and still verifies. The key pair is
made once per store, on first use; its private key is sealed in the store like any personal value,
and the device id is the store id.

After the first signature a plan version is frozen: its canonical JSON is stored (sealed) with its
hash and never changes (SQLite triggers refuse updates of the evidence columns). When the meeting's
lists or agreements change afterwards, the plan as it stands becomes version + 1, which needs new
signatures; the old version keeps its own. The resident chairs the meeting and signs first.

Reading a frozen version checks it again (hash of the JSON, every signature), so a damaged row is
reported as damaged rather than shown as signed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy import Connection, Table, func, insert, select, update

from models import outbox, queries
from models.changes import Entity
from models.crypto.sealing import Sealer
from models.domain import ParticipantRole
from models.errors import DamagedRecordError, KeukentafelError, RecordNotFoundError
from models.i18n import _
from models.plan import (
    Plan,
    canonical_bytes,
    canonical_json,
    check_code,
    plan_from_case_file,
    plan_from_json,
    plan_hash,
)
from models.signing_tables import DeviceKeyRow, PlanSignatureRow, PlanVersionRow
from models.store import CaseStore

SIGNATURE_FORMAT_PREFIX: Final = "keukentafel-signature/"
SIGNATURE_FORMAT_1: Final = "keukentafel-signature/1"  # without a witness
SIGNATURE_FORMAT: Final = "keukentafel-signature/2"  # with the witness
PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
MAX_IMAGE_BYTES: Final = 1_000_000  # a drawn signature is a few KB; this only stops nonsense


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


DEVICE_KEYS = _table(DeviceKeyRow)
PLAN_VERSIONS = _table(PlanVersionRow)
PLAN_SIGNATURES = _table(PlanSignatureRow)


# -- errors ----------------------------------------------------------------------------------------


class NewerFormatError(ValueError):
    """A signature record of a format this version does not know (a newer app made it).

    ``verify`` says so instead of calling the paper changed: format 2 (with the witness) made an
    older ``verify`` report genuine PDFs as changed, and a format 3 must not do that again.
    """


class SigningError(KeukentafelError):
    """A signature cannot be made. Messages name no person: they may reach a log."""


class ResidentSignsFirstError(SigningError):
    def __init__(self) -> None:
        super().__init__(_("The resident signs first."))


class AlreadySignedError(SigningError):
    def __init__(self) -> None:
        super().__init__(_("This person has already signed this version of the plan."))


class NotAParticipantError(SigningError):
    def __init__(self) -> None:
        super().__init__(_("Only someone who took part in the meeting can sign this plan."))


class SignatureImageError(SigningError):
    def __init__(self) -> None:
        super().__init__(_("The drawn signature could not be read. Please sign again."))


class FrozenPlanError(SigningError):
    def __init__(self) -> None:
        super().__init__(
            _("This version of the plan is signed and cannot change. A change makes a new version.")
        )


# -- the device key --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceKey:
    """The device's Ed25519 key pair. ``repr`` never shows the private key."""

    device_id: str
    public_key: bytes  # raw 32 bytes
    _private: Ed25519PrivateKey = field(repr=False, compare=False)

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data)


def key_fingerprint(public_key: bytes) -> str:
    """The first 16 hex digits of the SHA-256 of a raw public key: what ``verify`` prints and
    Settings shows for this device, so a PDF's signatures can be traced to a tablet."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def device_key(store: CaseStore, *, now: datetime) -> DeviceKey:
    """The store's device key, made and sealed on first use (the store must be unlocked)."""
    sealer = store.sealer
    device_id = store.store_id
    with store.engine.begin() as conn:
        row = conn.execute(select(DEVICE_KEYS).where(DEVICE_KEYS.c.id == device_id)).first()
        if row is None:
            private = Ed25519PrivateKey.generate()
            public = private.public_key().public_bytes_raw()
            sealed = sealer.seal(
                private.private_bytes_raw(),
                table="device_keys",
                column="private_key",
                row_id=device_id,
            )
            conn.execute(
                insert(DEVICE_KEYS).values(
                    id=device_id, public_key=public.hex(), private_key=sealed, created_at=now
                )
            )
            return DeviceKey(device_id, public, private)
    raw = sealer.open(row.private_key, table="device_keys", column="private_key", row_id=device_id)
    private = Ed25519PrivateKey.from_private_bytes(raw)
    public = private.public_key().public_bytes_raw()
    if not hmac.compare_digest(public.hex(), row.public_key):
        raise DamagedRecordError("device_keys", device_id, "public_key")
    return DeviceKey(device_id, public, private)


# -- signature records -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Witness:
    """The professional who held the tablet while someone signed (SECURITY.md: the evidence
    trail names the witness). From the device's profile; ``repr`` shows no name."""

    name: str = field(repr=False)
    organisation: str = field(repr=False)  # its name as configured; "" when none was chosen
    role: str = field(repr=False)  # as typed at first run ("wijkverpleegkundige"); may be ""

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "organisation": self.organisation, "role": self.role}

    @classmethod
    def from_json(cls, data: Any) -> Witness:
        if not isinstance(data, dict) or set(data) != {"name", "organisation", "role"}:
            raise ValueError("malformed witness")
        if not all(isinstance(v, str) for v in data.values()):
            raise ValueError("malformed witness")
        return cls(name=data["name"], organisation=data["organisation"], role=data["role"])


@dataclass(frozen=True, slots=True)
class SignatureRecord:
    """The evidence of one signature. Everything but ``signature`` is covered by ``signature``."""

    id: str
    case_id: str
    plan_version: int
    plan_hash: bytes
    image_sha256: bytes
    signer_id: str
    signer_name: str = field(repr=False)  # no names in logs
    role: str
    signed_at: datetime  # aware, UTC, whole seconds
    device_id: str
    public_key: bytes  # the device key that signed (raw 32 bytes)
    signature: bytes  # Ed25519 over ``signed_payload(self)``
    witness: Witness | None = None  # None only in format-1 records (signed before witnesses)

    def to_json(self) -> dict[str, Any]:
        """The record as JSON (bytes in hex), as embedded in the PDF."""
        return {
            **_payload_fields(self),
            "signed_at": utc_iso(self.signed_at),
            "public_key": self.public_key.hex(),
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_json(cls, data: Any) -> SignatureRecord:
        """Inverse of ``to_json``; raises ``ValueError`` on anything malformed."""
        try:
            if data["format"] not in (SIGNATURE_FORMAT, SIGNATURE_FORMAT_1):
                if str(data["format"]).startswith(SIGNATURE_FORMAT_PREFIX):
                    raise NewerFormatError()
                raise ValueError("unknown signature format")
            witness = None
            if data["format"] == SIGNATURE_FORMAT:
                witness = Witness.from_json(data["witness"])
            elif "witness" in data:
                raise ValueError("a format-1 record has no witness")
            signed_at = datetime.fromisoformat(str(data["signed_at"]).replace("Z", "+00:00"))
            if signed_at.tzinfo is None:
                raise ValueError("signed_at must carry its time zone")
            version = data["plan_version"]
            if isinstance(version, bool) or not isinstance(version, int):
                raise ValueError("plan_version must be an integer")
            return cls(
                id=str(data["id"]),
                case_id=str(data["case_id"]),
                plan_version=version,
                plan_hash=bytes.fromhex(data["plan_hash"]),
                image_sha256=bytes.fromhex(data["image_sha256"]),
                signer_id=str(data["signer_id"]),
                signer_name=str(data["signer_name"]),
                role=str(data["role"]),
                signed_at=signed_at.astimezone(UTC),
                device_id=str(data["device_id"]),
                public_key=bytes.fromhex(data["public_key"]),
                signature=bytes.fromhex(data["signature"]),
                witness=witness,
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError("malformed signature record") from error


def _payload_fields(record: SignatureRecord) -> dict[str, Any]:
    """The signed fields. Without a witness: format 1, exactly as records made before it."""
    fields: dict[str, Any] = {
        "format": SIGNATURE_FORMAT if record.witness is not None else SIGNATURE_FORMAT_1,
        "id": record.id,
        "case_id": record.case_id,
        "plan_version": record.plan_version,
        "plan_hash": record.plan_hash.hex(),
        "image_sha256": record.image_sha256.hex(),
        "signer_id": record.signer_id,
        "signer_name": record.signer_name,
        "role": record.role,
        "signed_at": record.signed_at,
        "device_id": record.device_id,
    }
    if record.witness is not None:
        fields["witness"] = record.witness.to_json()
    return fields


def utc_iso(moment: datetime) -> str:
    """An aware time as ISO 8601 in UTC with a ``Z``, as in the canonical JSON."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def signed_payload(record: SignatureRecord) -> bytes:
    """The canonical bytes the device signs for ``record`` (RFC 8785, NFC)."""
    return canonical_json(_payload_fields(record))


def make_signature(
    key: DeviceKey,
    plan: Plan,
    *,
    signer_id: str,
    image: bytes,
    signed_at: datetime,
    witness: Witness | None,
    record_id: str | None = None,
) -> SignatureRecord:
    """Sign ``plan`` for participant ``signer_id`` with the device key. No store involved.

    ``witness`` is the professional holding the tablet; ``None`` makes a format-1 record (only for
    a device without a profile, which the app never has when it signs).
    """
    check_image(image)
    signer = plan.participant(signer_id)
    if signer is None:
        raise NotAParticipantError()
    if signed_at.tzinfo is None or signed_at.utcoffset() is None:
        raise ValueError("signed_at must be timezone-aware")
    unsigned = SignatureRecord(
        id=record_id or str(uuid.uuid4()),
        case_id=plan.case_id,
        plan_version=plan.version,
        plan_hash=plan_hash(plan),
        image_sha256=hashlib.sha256(image).digest(),
        signer_id=signer.id,
        signer_name=signer.name,
        role=signer.role,
        signed_at=signed_at.astimezone(UTC).replace(microsecond=0),
        device_id=key.device_id,
        public_key=key.public_key,
        signature=b"",
        witness=witness,
    )
    return _with_signature(unsigned, key.sign(signed_payload(unsigned)))


def _with_signature(record: SignatureRecord, signature: bytes) -> SignatureRecord:
    fields = {name: getattr(record, name) for name in SignatureRecord.__dataclass_fields__}
    fields["signature"] = signature
    return SignatureRecord(**fields)


def check_image(image: bytes) -> None:
    """Refuse what cannot be a drawn signature (not a PNG, empty, absurdly large)."""
    if not image.startswith(PNG_MAGIC) or len(image) > MAX_IMAGE_BYTES:
        raise SignatureImageError()


class SignatureProblem(StrEnum):
    """Why a signature does not hold; ``models.verify`` turns these into sentences."""

    PLAN_CHANGED = "plan_changed"  # the record is about another plan (hash differs)
    IMAGE_CHANGED = "image_changed"  # the drawn image is not the one signed
    BAD_SIGNATURE = "bad_signature"  # the device signature does not match the record
    BAD_KEY = "bad_key"  # the public key is not an Ed25519 key


def signature_problems(
    record: SignatureRecord, plan_hash_: bytes, image: bytes, public_key: bytes
) -> tuple[SignatureProblem, ...]:
    """Everything wrong with ``record`` for this plan hash, image and device key (empty: holds)."""
    problems: list[SignatureProblem] = []
    if not hmac.compare_digest(record.plan_hash, plan_hash_):
        problems.append(SignatureProblem.PLAN_CHANGED)
    if not hmac.compare_digest(record.image_sha256, hashlib.sha256(image).digest()):
        problems.append(SignatureProblem.IMAGE_CHANGED)
    try:
        key = Ed25519PublicKey.from_public_bytes(public_key)
    except ValueError:
        problems.append(SignatureProblem.BAD_KEY)
        return tuple(problems)
    try:
        key.verify(record.signature, signed_payload(record))
    except (InvalidSignature, ValueError, TypeError):
        problems.append(SignatureProblem.BAD_SIGNATURE)
    return tuple(problems)


def verify_signature(
    record: SignatureRecord, plan_hash_: bytes, image: bytes, public_key: bytes
) -> bool:
    """True when ``record`` is a valid device signature over this plan hash and this image."""
    return not signature_problems(record, plan_hash_, image, public_key)


# -- frozen versions in the store ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signature:
    record: SignatureRecord
    image: bytes = field(repr=False)  # the drawn PNG


@dataclass(frozen=True, slots=True)
class SignedPlan:
    """A frozen plan version with its signatures, opened and checked."""

    version_id: str
    plan: Plan
    plan_json: bytes = field(repr=False)  # the canonical bytes (names in them)
    plan_hash: bytes
    frozen_at: datetime
    signatures: tuple[Signature, ...]

    @property
    def check_code(self) -> str:
        return check_code(self.plan_hash)


@dataclass(frozen=True, slots=True)
class SignerSummary:
    participant_id: str
    name: str = field(repr=False)
    role: str
    signed_at: datetime


@dataclass(frozen=True, slots=True)
class PlanStatus:
    """What the signing screen says about a meeting's plan."""

    current_version: int  # the version the plan as it stands now is (or would be signed as)
    current_hash: bytes
    signed_version: int | None  # the newest frozen version, None when nothing was signed yet
    signers: tuple[SignerSummary, ...]  # who signed ``signed_version``, in signing order
    changed_since_signed: bool  # the plan differs from ``signed_version``: new signatures needed
    waiting_for: tuple[str, ...]  # participant ids of the current plan who have not signed it

    @property
    def is_signed(self) -> bool:
        """The plan as it stands now carries at least one signature."""
        return self.signed_version == self.current_version and bool(self.signers)

    @property
    def check_code(self) -> str:
        return check_code(self.current_hash)


def current_plan(store: CaseStore, case_id: str, meeting_id: str) -> Plan:
    """The plan as it stands now, numbered: the newest frozen version if unchanged, else + 1."""
    plan, _row = _current(store, case_id, meeting_id)
    return plan


def _current(store: CaseStore, case_id: str, meeting_id: str) -> tuple[Plan, Any]:
    names = {o.id: o.name for o in store.organisations(include_inactive=True)}
    draft = plan_from_case_file(
        queries.case_file(store, case_id), meeting_id, version=1, organisation_names=names
    )
    with store.engine.connect() as conn:
        latest = _latest_version(conn, meeting_id)
    if latest is None:
        return draft, None
    same = draft.with_version(latest.version)
    if plan_hash(same).hex() == latest.plan_hash:
        return same, latest
    return draft.with_version(latest.version + 1), latest


def _latest_version(conn: Connection, meeting_id: str) -> Any:
    return conn.execute(
        select(PLAN_VERSIONS)
        .where(PLAN_VERSIONS.c.meeting_id == meeting_id)
        .order_by(PLAN_VERSIONS.c.version.desc())
        .limit(1)
    ).first()


def plan_status(store: CaseStore, case_id: str, meeting_id: str) -> PlanStatus:
    """Current version, whether it is signed and by whom, and whether it changed since."""
    plan, latest = _current(store, case_id, meeting_id)
    signers: tuple[SignerSummary, ...] = ()
    if latest is not None:
        signers = tuple(
            SignerSummary(
                s.record.signer_id, s.record.signer_name, s.record.role, s.record.signed_at
            )
            for s in _open_signatures(
                store, latest.id, latest.version, bytes.fromhex(latest.plan_hash)
            )
        )
    signed_now = (
        {s.participant_id for s in signers}
        if latest is not None and (latest.version == plan.version)
        else set()
    )
    return PlanStatus(
        current_version=plan.version,
        current_hash=plan_hash(plan),
        signed_version=None if latest is None else latest.version,
        signers=signers,
        changed_since_signed=latest is not None and latest.version != plan.version,
        waiting_for=tuple(p.id for p in plan.participants if p.id not in signed_now),
    )


def sign_plan(
    store: CaseStore,
    case_id: str,
    meeting_id: str,
    *,
    signer_id: str,
    image: bytes,
    now: datetime,
) -> SignatureRecord:
    """Sign the plan as it stands now for ``signer_id``; freezes the version on its first signature.

    Refuses a non-participant, a second signature by the same person on the same version, and
    anyone before the resident. Version and signature are written in one transaction, with their
    outbox rows (the version's only on its first signature): the dossier keeps them as evidence
    (push-only, immutable; ``sync.protocol.PUSH_ONLY``), a case without consent keeps them here.
    """
    key = device_key(store, now=now)
    plan, latest = _current(store, case_id, meeting_id)
    signer = plan.participant(signer_id)
    if signer is None:
        raise NotAParticipantError()
    record = make_signature(
        key, plan, signer_id=signer_id, image=image, signed_at=now, witness=device_witness(store)
    )
    sealer = store.sealer
    with store.engine.begin() as conn:
        if latest is not None and latest.version == plan.version:
            version_id = latest.id
            signed = set(
                conn.execute(
                    select(PLAN_SIGNATURES.c.signer_id).where(
                        PLAN_SIGNATURES.c.plan_version_id == version_id
                    )
                ).scalars()
            )
        else:
            version_id, signed = None, set()
        if signer_id in signed:
            raise AlreadySignedError()
        position = len(signed)
        if not signed and signer.role != ParticipantRole.RESIDENT.value:
            raise ResidentSignsFirstError()
        if version_id is None:
            version_id = _freeze(conn, sealer, plan, now=now)
            _queue_version(conn, sealer, version_id, plan, now=now)
        conn.execute(
            insert(PLAN_SIGNATURES).values(
                _signature_row(sealer, version_id, position, record, image)
            )
        )
        _queue_signature(conn, sealer, version_id, position, record, image, now=now)
        # A PDF kept from before this signature no longer shows every signature: make it anew.
        conn.execute(update(PLAN_VERSIONS).where(PLAN_VERSIONS.c.id == version_id).values(pdf=None))
    return record


def _queue_version(
    conn: Connection, sealer: Sealer, version_id: str, plan: Plan, *, now: datetime
) -> None:
    """Queue the frozen version for the dossier, in the transaction that froze it (push-only
    evidence, ``sync.protocol.PUSH_ONLY``; held back like any change of a case without consent)."""
    outbox.append(
        conn,
        sealer,
        entity=Entity.PLAN_VERSION,
        record_id=version_id,
        case_id=plan.case_id,
        fields={
            "case_id": plan.case_id,
            "meeting_id": plan.meeting_id,
            "version": plan.version,
            "plan_hash": plan_hash(plan).hex(),
            "plan_json": canonical_bytes(plan).decode("utf-8"),
            "frozen_at": utc_iso(now),
        },
        now=now,
    )


def _queue_signature(
    conn: Connection,
    sealer: Sealer,
    version_id: str,
    position: int,
    record: SignatureRecord,
    image: bytes,
    *,
    now: datetime,
) -> None:
    """Queue a signature (its record with the witness, and the drawn PNG) for the dossier."""
    outbox.append(
        conn,
        sealer,
        entity=Entity.PLAN_SIGNATURE,
        record_id=record.id,
        case_id=record.case_id,
        fields={
            "record": record.to_json(),
            "plan_version_id": version_id,
            "position": position,
            "image": base64.b64encode(image).decode("ascii"),
        },
        now=now,
    )


def device_witness(store: CaseStore) -> Witness | None:
    """The witness of signatures made on this device: its profile, with the organisation's name."""
    from models.profile import load_profile  # the profile module reads the store too

    profile = load_profile(store)
    if profile is None:
        return None
    names = {o.id: o.name for o in store.organisations(include_inactive=True)}
    organisation = names.get(profile.organisation_id or "", "")
    return Witness(name=profile.name, organisation=organisation, role=profile.role)


def _freeze(conn: Connection, sealer: Sealer, plan: Plan, *, now: datetime) -> str:
    newest = conn.execute(
        select(func.max(PLAN_VERSIONS.c.version)).where(
            PLAN_VERSIONS.c.meeting_id == plan.meeting_id
        )
    ).scalar()
    if newest is not None and newest >= plan.version:
        raise FrozenPlanError()  # someone froze this version meanwhile, with other content
    version_id = str(uuid.uuid4())
    conn.execute(
        insert(PLAN_VERSIONS).values(
            id=version_id,
            case_id=plan.case_id,
            meeting_id=plan.meeting_id,
            version=plan.version,
            plan_hash=plan_hash(plan).hex(),
            plan_json=sealer.seal(
                canonical_bytes(plan), table="plan_versions", column="plan_json", row_id=version_id
            ),
            frozen_at=now,
        )
    )
    return version_id


def _signature_row(
    sealer: Sealer, version_id: str, position: int, record: SignatureRecord, image: bytes
) -> dict[str, Any]:
    def seal(column: str, value: bytes) -> bytes:
        return sealer.seal(value, table="plan_signatures", column=column, row_id=record.id)

    return {
        "id": record.id,
        "plan_version_id": version_id,
        "position": position,
        "case_id": record.case_id,
        "signer_id": record.signer_id,
        "signer_name": seal("signer_name", record.signer_name.encode("utf-8")),
        "role": record.role,
        "signed_at": record.signed_at,
        "device_id": record.device_id,
        "public_key": record.public_key.hex(),
        "plan_hash": record.plan_hash.hex(),
        "image_sha256": record.image_sha256.hex(),
        "image": seal("image", image),
        "signature": record.signature.hex(),
        "witness": None
        if record.witness is None
        else seal("witness", canonical_json(record.witness.to_json())),
    }


def signed_versions(store: CaseStore, meeting_id: str) -> list[int]:
    """The frozen version numbers of a meeting's plan, oldest first."""
    with store.engine.connect() as conn:
        return list(
            conn.execute(
                select(PLAN_VERSIONS.c.version)
                .where(PLAN_VERSIONS.c.meeting_id == meeting_id)
                .order_by(PLAN_VERSIONS.c.version)
            ).scalars()
        )


def signed_plan(store: CaseStore, meeting_id: str, version: int | None = None) -> SignedPlan:
    """A frozen version (default: the newest) with its signatures, each checked on the way."""
    sealer = store.sealer
    with store.engine.connect() as conn:
        if version is None:
            row = _latest_version(conn, meeting_id)
        else:
            row = conn.execute(
                select(PLAN_VERSIONS).where(
                    PLAN_VERSIONS.c.meeting_id == meeting_id, PLAN_VERSIONS.c.version == version
                )
            ).first()
    if row is None:
        raise RecordNotFoundError("plan_versions", meeting_id)
    plan_json = sealer.open(row.plan_json, table="plan_versions", column="plan_json", row_id=row.id)
    digest = hashlib.sha256(plan_json).digest()
    try:
        plan = plan_from_json(json.loads(plan_json.decode("utf-8")))
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise DamagedRecordError("plan_versions", row.id, "plan_json") from None
    if digest.hex() != row.plan_hash or canonical_bytes(plan) != plan_json:
        raise DamagedRecordError("plan_versions", row.id, "plan_json")
    return SignedPlan(
        version_id=row.id,
        plan=plan,
        plan_json=plan_json,
        plan_hash=digest,
        frozen_at=_utc(row.frozen_at),
        signatures=_open_signatures(store, row.id, row.version, digest),
    )


def _open_signatures(
    store: CaseStore, version_id: str, version: int, digest: bytes
) -> tuple[Signature, ...]:
    sealer = store.sealer
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(PLAN_SIGNATURES)
            .where(PLAN_SIGNATURES.c.plan_version_id == version_id)
            .order_by(PLAN_SIGNATURES.c.position)
        ).all()
    out: list[Signature] = []
    for row in rows:

        def open_(column: str, blob: bytes, row_id: str = row.id) -> bytes:
            return sealer.open(blob, table="plan_signatures", column=column, row_id=row_id)

        image = open_("image", row.image)
        try:
            name = open_("signer_name", row.signer_name).decode("utf-8")
        except UnicodeDecodeError:
            raise DamagedRecordError("plan_signatures", row.id, "signer_name") from None
        witness = None
        if row.witness is not None:
            try:
                witness = Witness.from_json(json.loads(open_("witness", row.witness)))
            except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
                raise DamagedRecordError("plan_signatures", row.id, "witness") from None
        record = SignatureRecord(
            id=row.id,
            case_id=row.case_id,
            plan_version=version,
            plan_hash=bytes.fromhex(row.plan_hash),
            image_sha256=bytes.fromhex(row.image_sha256),
            signer_id=row.signer_id,
            signer_name=name,
            role=row.role,
            signed_at=_utc(row.signed_at),
            device_id=row.device_id,
            public_key=bytes.fromhex(row.public_key),
            signature=bytes.fromhex(row.signature),
            witness=witness,
        )
        if not verify_signature(record, digest, image, record.public_key):
            raise DamagedRecordError("plan_signatures", row.id, "signature")
        out.append(Signature(record, image))
    return tuple(out)


def _utc(value: datetime) -> datetime:
    # SQLite keeps no offset: we always write UTC, so a naive value read back is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def save_plan_pdf(store: CaseStore, signed: SignedPlan, pdf: bytes) -> None:
    """Keep a sealed copy of the PDF made of a frozen version (the newest copy replaces older)."""
    sealed = store.sealer.seal(pdf, table="plan_versions", column="pdf", row_id=signed.version_id)
    with store.engine.begin() as conn:
        conn.execute(
            update(PLAN_VERSIONS).where(PLAN_VERSIONS.c.id == signed.version_id).values(pdf=sealed)
        )


def load_plan_pdf(store: CaseStore, signed: SignedPlan) -> bytes | None:
    """The sealed PDF copy of a frozen version, or ``None`` when none was kept."""
    with store.engine.connect() as conn:
        blob = conn.execute(
            select(PLAN_VERSIONS.c.pdf).where(PLAN_VERSIONS.c.id == signed.version_id)
        ).scalar()
    if blob is None:
        return None
    return store.sealer.open(blob, table="plan_versions", column="pdf", row_id=signed.version_id)
