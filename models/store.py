"""The encrypted local store: one SQLite file per device, its lifecycle and its writes.

Lifecycle (the threat is a lost or stolen tablet, see DESIGN.md "Encryption at rest"):

    create(path, passphrase)  -> new random data key, wrapped with passphrase (+ device secret)
    open(path)                -> locked store; schema migrated; nothing readable yet
    unlock(passphrase, now)   -> data key unwrapped into memory; failed attempts back off, persisted
    lock()                    -> data key dropped from memory
    change_passphrase(...)    -> the data key is re-wrapped; no record is re-encrypted

The key-encryption key combines the passphrase (Argon2id, or scrypt where OpenSSL lacks it) with a
device secret from the OS key store (``keyring``). Where no key store exists the store is created
passphrase-only and ``passphrase_only`` is True so the UI can show a warning. A store that needs the
device secret and cannot get it stays locked (``KeyStoreUnavailableError``); a fresh key is never
made over existing data.

The key, the lock state and the back-off live in the store's ``StoreFile`` (``models.store_file``,
``sqlite3`` only), which the app uses alone for its first screens; ``CaseStore.on_file`` builds the
whole store on such a file, unlocked or not, sharing its key.

Every write validates first and then commits in one transaction: nothing is half-saved.
Reads and the list queries live in ``models.queries``.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, delete, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from models import changes, database, outbox, records, sync_state
from models.calendar import today_in_amsterdam
from models.crypto import device_secret, kdf, keywrap
from models.crypto.sealing import DataKey, Sealer
from models.datafolder import STORE_FILENAME as STORE_FILENAME
from models.domain import (
    Agreement,
    Case,
    CaseFile,
    Measurement,
    Meeting,
    Organisation,
    Participant,
    ParticipantRole,
)
from models.errors import (
    DamagedRecordError,
    KeukentafelError,
    RecordNotFoundError,
    StoreExistsError,
)
from models.i18n import _
from models.organisations import DEFAULT_ORGANISATIONS
from models.signing_tables import PlanSignatureRow
from models.store_file import StoreFile
from models.store_file import UnlockStatus as UnlockStatus
from models.tables import (
    AgreementRow,
    CaseRow,
    KeyEnvelope,
    MeasurementRow,
    MeetingRow,
    OrganisationRow,
    ParticipantRow,
    ResidentRow,
    StoreMeta,
    UnlockState,
)
from models.validation import (
    validate_agreement,
    validate_case,
    validate_measurement,
    validate_meeting,
    validate_participant,
)

log = logging.getLogger(__name__)

R = TypeVar("R", Participant, Meeting, Agreement, Measurement)


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


RESIDENTS = _table(ResidentRow)
CASES = _table(CaseRow)
PARTICIPANTS = _table(ParticipantRow)
MEETINGS = _table(MeetingRow)
AGREEMENTS = _table(AgreementRow)
MEASUREMENTS = _table(MeasurementRow)
ORGANISATIONS = _table(OrganisationRow)
ENVELOPES = _table(KeyEnvelope)
UNLOCK_STATE = _table(UnlockState)
META = _table(StoreMeta)
SIGNATURES = _table(PlanSignatureRow)
REMOVED_ON = "removed_on"  # the participant field that takes someone off a case


class ParticipantInUseError(KeukentafelError):
    """A participant the case file still needs cannot be removed; ``reason`` says why."""

    RESIDENT = "resident"
    OWNS_AGREEMENTS = "owns_agreements"
    WAS_PRESENT = "was_present"
    AT_THE_TABLE = "at_the_table"
    SIGNED = "signed"

    def __init__(self, reason: str) -> None:
        messages = {
            self.RESIDENT: _("The resident always takes part and cannot be removed."),
            self.OWNS_AGREEMENTS: _(
                "This person cannot be removed: agreements are in their name. "
                "Hand those agreements over to someone else first (Hand over, on the case screen)."
            ),
            self.WAS_PRESENT: _(
                "This person cannot be removed: they were at the table of an MDO that was held, "
                "and the record of that MDO keeps them."
            ),
            self.AT_THE_TABLE: _(
                "This person cannot be removed: they are marked as present in the MDO under "
                "way. Remove them there first."
            ),
            self.SIGNED: _("This person cannot be removed: they signed the plan."),
        }
        super().__init__(messages[reason])
        self.reason = reason


class CaseStore:
    """One device's encrypted case file. Construct with ``create`` or ``open``."""

    def __init__(self, engine: Engine, file: StoreFile) -> None:
        self.engine = engine
        self.file = file  # the key, the lock state and the back-off (models.store_file)
        # Stamps queued changes with the device time (audit information for the server, never a
        # rule: rules take ``today``). Replace it in tests.
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def __repr__(self) -> str:
        state = "locked" if self.is_locked else "unlocked"
        return f"<CaseStore {self.store_id} {state}>"

    # -- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def create(
        cls, path: Path, passphrase: str, *, now: datetime, kdf_params: kdf.KdfParams | None = None
    ) -> CaseStore:
        """Make a new store at ``path``, unlocked. Refuses to touch an existing one.

        The file is built under a temporary name and renamed into place only when complete, so an
        interrupted set-up never leaves a store without its key.
        """
        if path.exists():
            raise StoreExistsError()
        has_key_store = device_secret.key_store_available()
        keywrap.check_passphrase(passphrase, has_device_secret=has_key_store)
        store_id = str(uuid.uuid4())
        secret = device_secret.create_device_secret(store_id) if has_key_store else None
        if secret is None and has_key_store:
            # The key store looked usable but refused the secret: we are passphrase-only after
            # all, so a PIN accepted a moment ago is no longer strong enough.
            keywrap.check_passphrase(passphrase, has_device_secret=False)
        params = kdf_params or kdf.default_params()
        data_key = DataKey.generate()
        kek = keywrap.combine(kdf.derive(passphrase, params), secret)

        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".creating")
        for leftover in _sqlite_files(partial):
            leftover.unlink(missing_ok=True)
        engine = database.make_engine(partial)
        try:
            database.upgrade(engine)
            with engine.begin() as conn:
                conn.execute(
                    insert(META),
                    [
                        {"key": "store_id", "value": store_id},
                        {"key": "created_at", "value": now.isoformat()},
                    ],
                )
                conn.execute(
                    insert(ENVELOPES),
                    {
                        "key_id": data_key.key_id.hex(),
                        "wrapped_key": keywrap.wrap(kek, data_key, store_id=store_id),
                        "kdf_params": params.to_json(),
                        "device_secret_required": secret is not None,
                        "is_current": True,
                        "created_at": now,
                    },
                )
                conn.execute(insert(UNLOCK_STATE), {"id": 1, "failures": 0})
                conn.execute(
                    insert(ORGANISATIONS),
                    [
                        {"id": o.id, "name": o.name, "active": o.active, "position": i}
                        for i, o in enumerate(DEFAULT_ORGANISATIONS)
                    ],
                )
        finally:
            engine.dispose()
        os.replace(partial, path)
        for leftover in _sqlite_files(partial):
            leftover.unlink(missing_ok=True)
        store = cls.on_file(_open_file(path))
        store.file.adopt(Sealer(data_key))
        return store

    @classmethod
    def open(cls, path: Path) -> CaseStore:
        """Open an existing store, locked. Brings its schema up to date first."""
        file = StoreFile.open(path)  # raises StoreNotFoundError
        if file is not None:
            return cls.on_file(file)
        engine = database.make_engine(path)
        try:
            database.upgrade(engine)
            return cls(engine, _open_file(path))
        except BaseException:
            engine.dispose()
            raise

    @property
    def path(self) -> Path:
        return self.file.path

    @property
    def store_id(self) -> str:
        return self.file.store_id

    @classmethod
    def on_file(cls, file: StoreFile) -> CaseStore:
        """The whole store over a file opened (and maybe unlocked) by ``StoreFile.open``: the app
        unlocks and draws My cases with the file alone, and builds this afterwards."""
        return cls(database.make_engine(file.path), file)

    def close(self) -> None:
        self.file.close()
        self.engine.dispose()

    @property
    def is_locked(self) -> bool:
        return self.file.is_locked

    @property
    def passphrase_only(self) -> bool:
        """True when only the passphrase protects the key (no OS key store): warn the user."""
        return self.file.passphrase_only

    def unlock_status(self, *, now: datetime) -> UnlockStatus:
        return self.file.unlock_status(now=now)

    def unlock(self, passphrase: str, *, now: datetime) -> None:
        self.file.unlock(passphrase, now=now)

    def lock(self) -> None:
        self.file.lock()

    def change_passphrase(self, old: str, new: str, *, now: datetime) -> None:
        """Re-wrap every data key under ``new``. Counts as an unlock attempt with ``old``."""
        self.file.change_passphrase(old, new, now=now)

    # -- access for queries --------------------------------------------------------------------

    @property
    def sealer(self) -> Sealer:
        return self.file.sealer

    @contextmanager
    def reading(self) -> Iterator[tuple[Connection, Sealer]]:
        """A read connection and the sealer; raises ``LockedError`` when locked."""
        sealer = self.sealer
        with self.engine.connect() as conn:
            yield conn, sealer

    @contextmanager
    def writing(self) -> Iterator[tuple[Connection, Sealer]]:
        """One transaction that holds the write lock from its start (read-modify-write safe)."""
        sealer = self.sealer
        with self.engine.begin() as conn:
            sync_state.take_write_lock(conn)
            yield conn, sealer

    # -- sync: changes from the shared dossier, and the remote wipe ----------------------------

    def apply_remote(
        self, writes: Iterable[sync_state.RemoteWrite], *, now: datetime | None = None
    ) -> sync_state.ApplyResult:
        """Apply pulled changes in one transaction, queueing nothing (see ``models.sync_state``)."""
        with self.writing() as (conn, sealer):
            return sync_state.apply_remote(conn, sealer, writes, now=now or self.clock())

    def forget_cases(self, case_ids: Iterable[object]) -> sync_state.ForgetResult:
        """Remove cases whose access ended, and everything of them, in one transaction
        (``models.sync_state.forget_cases``: unsent changes of them are dropped too)."""
        with self.writing() as (conn, sealer):
            return sync_state.forget_cases(conn, sealer, case_ids)

    def has_case(self, case_id: str) -> bool:
        """Whether the case is (still) on this device; needs no unlocked key."""
        with self.engine.connect() as conn:
            found = conn.execute(select(CASES.c.id).where(CASES.c.id == case_id)).first()
        return found is not None

    def wipe(self) -> None:
        """Destroy this device's case file: a revoked (lost) tablet on its next contact.

        The wrapped data keys are overwritten first and the write-ahead log folded in, then the
        files are deleted and the device secret leaves the OS key store. Without the wrapped key
        and the secret, any copy of the file that survives on the disk cannot be opened.
        """
        self.lock()
        try:
            with self.engine.begin() as conn:
                for key_id in conn.execute(select(ENVELOPES.c.key_id)).scalars().all():
                    conn.execute(
                        update(ENVELOPES)
                        .where(ENVELOPES.c.key_id == key_id)
                        .values(wrapped_key=os.urandom(64))
                    )
            with self.engine.connect() as conn:  # outside any transaction
                database.driver_connection(conn).execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self.file.close()
            self.engine.dispose()
            for part in _sqlite_files(self.path):
                part.unlink(missing_ok=True)
            device_secret.delete_device_secret(self.store_id)
        log.warning("case file wiped on instruction of the dossier server")

    # -- organisations (configuration, plaintext) ----------------------------------------------

    def organisations(self, *, include_inactive: bool = False) -> list[Organisation]:
        query = select(ORGANISATIONS).order_by(ORGANISATIONS.c.position, ORGANISATIONS.c.name)
        if not include_inactive:
            query = query.where(ORGANISATIONS.c.active)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [Organisation(id=r["id"], name=r["name"], active=r["active"]) for r in rows]

    def save_organisation(self, organisation: Organisation) -> None:
        with self.engine.begin() as conn:
            position = (
                conn.execute(
                    select(ORGANISATIONS.c.position)
                    .order_by(ORGANISATIONS.c.position.desc())
                    .limit(1)
                ).scalar()
                or 0
            )
            row = {"id": organisation.id, "name": organisation.name, "active": organisation.active}
            conn.execute(
                sqlite_insert(ORGANISATIONS)
                .values(**row, position=position + 1)
                .on_conflict_do_update(index_elements=["id"], set_=row)
            )

    # -- writes -------------------------------------------------------------------------------

    def add_case_files(
        self,
        files: Iterable[CaseFile],
        *,
        today: date,
        now: datetime,
        queue_for_sync: bool = True,
    ) -> int:
        """Insert whole case files (new contact, import) in one transaction, with their outbox rows.

        Everything is validated before anything is written. Returns the number of cases added.
        ``queue_for_sync=False`` keeps the cases on this device only (synthetic demo data).
        """
        sealer = self.sealer
        queued: list[dict[str, Any]] = []
        buckets: dict[str, list[dict[str, Any]]] = {
            "residents": [],
            "cases": [],
            "participants": [],
            "meetings": [],
            "agreements": [],
            "measurements": [],
        }
        count = 0
        for f in files:
            _validate_case_file(f, today=today)
            buckets["residents"].append(records.resident_row(sealer, f.case.resident))
            buckets["cases"].append(records.case_row(sealer, f.case, now=now))
            buckets["participants"] += [records.participant_row(sealer, p) for p in f.participants]
            buckets["meetings"] += [records.meeting_row(sealer, m) for m in f.meetings]
            buckets["agreements"] += [records.agreement_row(sealer, a) for a in f.agreements]
            buckets["measurements"] += [records.measurement_row(sealer, m) for m in f.measurements]
            if queue_for_sync:
                queued += _new_case_changes(sealer, f, now=now)
            count += 1
        with self.engine.begin() as conn:
            for table in (RESIDENTS, CASES, PARTICIPANTS, MEETINGS, AGREEMENTS, MEASUREMENTS):
                if buckets[table.name]:
                    conn.execute(insert(table), buckets[table.name])
            if queued:
                conn.execute(insert(outbox.OUTBOX), queued)
        return count

    def add_case(self, case: Case, *, today: date, now: datetime) -> None:
        self.add_case_files([CaseFile(case=case)], today=today, now=now)

    def update_case(self, case: Case, *, today: date, now: datetime) -> None:
        validate_case(case, today=today)
        sealer = self.sealer
        resident = records.resident_row(sealer, case.resident)
        row = records.case_row(sealer, case, now=now)
        del row["created_at"]
        with self.engine.begin() as conn:
            _require(conn, CASES, case.id)
            old = self._old_case(conn, case.id)
            conn.execute(
                update(RESIDENTS).where(RESIDENTS.c.id == case.resident.id).values(resident)
            )
            conn.execute(update(CASES).where(CASES.c.id == case.id).values(row))
            self._queue(conn, old.resident if old else None, case.resident, case_id=case.id)
            self._queue(conn, old, case, case_id=case.id)

    def _old_case(self, conn: Connection, case_id: str) -> Case | None:
        row = conn.execute(select(CASES).where(CASES.c.id == case_id)).mappings().one()
        resident_row = (
            conn.execute(select(RESIDENTS).where(RESIDENTS.c.id == row["resident_id"]))
            .mappings()
            .one()
        )
        try:
            resident = records.resident_from_row(self.sealer, resident_row)
            return records.case_from_row(self.sealer, row, resident)
        except DamagedRecordError:
            return None  # overwriting a damaged record: every field counts as changed

    def _queue(
        self, conn: Connection, old: changes.Record | None, new: changes.Record, *, case_id: str
    ) -> None:
        """Put the fields that changed in the outbox, in the same transaction as the write."""
        changed = changes.changed_fields(old, new)
        if changed:
            outbox.append(
                conn,
                self.sealer,
                entity=changes.ENTITY_OF[type(new)],
                record_id=new.id,
                case_id=case_id,
                fields=changed,
                now=self.clock(),
            )

    def save_participant(self, participant: Participant) -> None:
        validate_participant(participant)
        self._upsert(
            PARTICIPANTS, participant, records.participant_row, records.participant_from_row
        )

    def save_meeting(self, meeting: Meeting) -> None:
        validate_meeting(meeting)
        self._upsert(MEETINGS, meeting, records.meeting_row, records.meeting_from_row)

    def save_agreement(self, agreement: Agreement) -> None:
        with self.engine.connect() as conn:
            held_on, planned_for = conn.execute(
                select(MEETINGS.c.held_on, MEETINGS.c.planned_for).where(
                    MEETINGS.c.id == agreement.meeting_id
                )
            ).one_or_none() or (None, None)
            participant_ids = set(
                conn.execute(
                    select(PARTICIPANTS.c.id).where(PARTICIPANTS.c.case_id == agreement.case_id)
                ).scalars()
            )
        when = meeting_date(held_on, planned_for)
        if when is None:
            raise RecordNotFoundError("meetings", agreement.meeting_id)
        validate_agreement(agreement, meeting_date=when, participant_ids=participant_ids)
        self._upsert(AGREEMENTS, agreement, records.agreement_row, records.agreement_from_row)

    def save_measurement(self, measurement: Measurement) -> None:
        validate_measurement(measurement)
        self._upsert(
            MEASUREMENTS, measurement, records.measurement_row, records.measurement_from_row
        )

    def _upsert(
        self,
        table: Table,
        record: R,
        to_row: Callable[[Sealer, R], dict[str, Any]],
        from_row: Callable[[Sealer, Any], R],
    ) -> None:
        """Insert or update one record of a case, and queue what changed, in one transaction."""
        sealer = self.sealer
        row = to_row(sealer, record)
        case_id = changes.case_id_of(record)
        with self.engine.begin() as conn:
            _require(conn, CASES, case_id)
            old_row = conn.execute(select(table).where(table.c.id == record.id)).mappings().first()
            old: R | None = None
            if old_row is not None:
                try:
                    old = from_row(sealer, old_row)
                except DamagedRecordError:
                    old = None  # overwriting a damaged record: every field counts as changed
            values = {k: v for k, v in row.items() if k != "id"}
            conn.execute(
                sqlite_insert(table)
                .values(row)
                .on_conflict_do_update(index_elements=["id"], set_=values)
            )
            self._queue(conn, old, record, case_id=case_id)

    def remove_participant(self, participant_id: str, *, today: date) -> Participant:
        """Take someone off a case: mark them removed on ``today`` and queue it, in one transaction.

        The record stays (with its name) and syncs as a change of fields, never as a deletion:
        another tablet may have made them the owner of an agreement before the two synced, and
        that reference must stay valid on both. Their contact details and relation are cleared
        (not needed any more), and so is their dossier account, which ends their access to the
        case on the server. Returns the participant as saved. A damaged record is refused
        (``DamagedRecordError``) rather than written over with blanks.

        Queued as two upserts: ``removed_on`` alone, then the cleared fields. Another tablet's
        edit of the contact, relation or account then asks about those only, and never holds
        back the removal (the server ends the account's membership on ``removed_on``).

        Refused (``ParticipantInUseError``, nothing changed) for the resident, and for someone who
        owns an agreement, is marked present at a meeting (a held one is part of the record; a
        running one still shows them at the table) or signed a plan version.
        """
        sealer = self.sealer
        with self.engine.begin() as conn:
            _require(conn, PARTICIPANTS, participant_id)
            row = (
                conn.execute(select(PARTICIPANTS).where(PARTICIPANTS.c.id == participant_id))
                .mappings()
                .one()
            )
            case_id = row["case_id"]
            if row["role"] == ParticipantRole.RESIDENT.value:
                raise ParticipantInUseError(ParticipantInUseError.RESIDENT)
            owns = conn.execute(
                select(AGREEMENTS.c.id).where(AGREEMENTS.c.owner_id == participant_id).limit(1)
            ).first()
            if owns is not None:
                raise ParticipantInUseError(ParticipantInUseError.OWNS_AGREEMENTS)
            for held_on, present in conn.execute(
                select(MEETINGS.c.held_on, MEETINGS.c.present).where(MEETINGS.c.case_id == case_id)
            ):
                if participant_id in json.loads(present or "[]"):
                    raise ParticipantInUseError(
                        ParticipantInUseError.WAS_PRESENT
                        if held_on is not None
                        else ParticipantInUseError.AT_THE_TABLE
                    )
            signed = conn.execute(
                select(SIGNATURES.c.id).where(SIGNATURES.c.signer_id == participant_id).limit(1)
            ).first()
            if signed is not None:
                raise ParticipantInUseError(ParticipantInUseError.SIGNED)
            old = records.participant_from_row(sealer, row)  # damaged: refused, nothing changed
            removed = Participant(
                id=participant_id,
                case_id=case_id,
                role=old.role,
                name=old.name,
                organisation_id=old.organisation_id,
                removed_on=old.removed_on or today,
            )
            values = records.participant_row(sealer, removed)
            del values["id"]
            conn.execute(
                update(PARTICIPANTS).where(PARTICIPANTS.c.id == participant_id).values(values)
            )
            # Two mutations, the removal first and alone: when another tablet changed the
            # contact, relation or account meanwhile, only the clearing of those waits for a
            # question, and the removal (which ends the account's access on the server) lands.
            changed = changes.changed_fields(old, removed)
            marked = {k: v for k, v in changed.items() if k == REMOVED_ON}
            cleared = {k: v for k, v in changed.items() if k != REMOVED_ON}
            for fields in (marked, cleared):
                if fields:
                    outbox.append(
                        conn,
                        sealer,
                        entity=changes.Entity.PARTICIPANT,
                        record_id=participant_id,
                        case_id=case_id,
                        fields=fields,
                        now=self.clock(),
                    )
        return removed

    def delete_agreement(self, agreement_id: str) -> None:
        with self.engine.begin() as conn:
            _require(conn, AGREEMENTS, agreement_id)
            case_id = conn.execute(
                select(AGREEMENTS.c.case_id).where(AGREEMENTS.c.id == agreement_id)
            ).scalar_one()
            conn.execute(delete(AGREEMENTS).where(AGREEMENTS.c.id == agreement_id))
            outbox.append(
                conn,
                self.sealer,
                entity=changes.Entity.AGREEMENT,
                record_id=agreement_id,
                case_id=case_id,
                fields={},
                now=self.clock(),
                op="delete",
            )


def _new_case_changes(sealer: Sealer, f: CaseFile, *, now: datetime) -> list[dict[str, Any]]:
    """Outbox rows for a whole new case, in the order the server needs them (resident first)."""
    rows: list[dict[str, Any]] = []
    new: list[changes.Record] = [f.case.resident, f.case, *f.participants, *f.meetings]
    for record in [*new, *f.agreements, *f.measurements]:
        mutation_id = str(uuid.uuid4())
        fields = changes.fields_of(record)
        rows.append(
            {
                "mutation_id": mutation_id,
                "entity": changes.ENTITY_OF[type(record)].value,
                "record_id": record.id,
                "case_id": f.case.id,
                "op": "upsert",
                "fields": sealer.seal_json(
                    fields, table="outbox", column="fields", row_id=mutation_id
                ),
                "base_seq": None,
                "device_time": now,
                "state": "waiting",
            }
        )
    return rows


def _require(conn: Connection, table: Table, record_id: str) -> None:
    if conn.execute(select(table.c.id).where(table.c.id == record_id)).first() is None:
        raise RecordNotFoundError(table.name, record_id)


def _validate_case_file(f: CaseFile, *, today: date) -> None:
    validate_case(f.case, today=today)
    ids = {p.id for p in f.participants}
    for p in f.participants:
        validate_participant(p)
    meeting_dates: dict[str, date] = {}
    for m in f.meetings:
        validate_meeting(m)
        when = meeting_date(m.held_on, m.planned_for)
        if when is not None:
            meeting_dates[m.id] = when
    for a in f.agreements:
        if a.meeting_id not in meeting_dates:
            raise RecordNotFoundError("meetings", a.meeting_id)
        validate_agreement(a, meeting_date=meeting_dates[a.meeting_id], participant_ids=ids)
    for measurement in f.measurements:
        validate_measurement(measurement)


def _open_file(path: Path) -> StoreFile:
    file = StoreFile.open(path)
    if file is None:  # only after a migration that did not reach the newest revision
        raise RuntimeError("store schema is not at the newest revision")
    return file


def _sqlite_files(db: Path) -> list[Path]:
    return [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]


def meeting_date(held_on: date | None, planned_for: datetime | None) -> date | None:
    """The date the six-week clock of an agreement counts from: held, else planned (Amsterdam)."""
    if held_on is not None:
        return held_on
    return today_in_amsterdam(planned_for) if planned_for is not None else None
