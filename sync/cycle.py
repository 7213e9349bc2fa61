"""One sync cycle against the real store: the engine decides, this module acts.

    pull every page -> apply   one transaction per page; cursor and conflicts saved with it
    push waiting outbox rows   only cases the resident agreed to share; the rest stay here
    read the outcome           acknowledged rows leave the outbox, refused ones are held back
                               with their reason, conflicts are kept for the user
    pull again                 our own changes come back with their server seq: bases move
    then                       the signing key (once) and the reads and exports recorded on
                               this tablet (sync.signing_key, sync.audit_events); a refusal
                               of either is logged and tried next cycle

``run_cycle`` returns a ``SyncStatus``, plain data for the status line (offline / synced at T /
K waiting / N conflicts / held back with reasons / cases removed because access ended).
``local_status`` gives the same without the network. A revoked device (401 ``device_revoked``)
wipes its store and says why.

A case the server names in a page's ``access_ended`` (this account was taken off it, or its
dossier access ended) is removed from the store with everything of it, in the same transaction
as the page (``models.sync_state.forget_cases``). Its unsent changes are dropped with it: the
server would refuse them, and they hold personal data the device must not keep. The status says
how many cases and changes (``cases_removed``, ``changes_dropped``); the log says only numbers.

Closed cases leave too (``models.caseload``): at the end of a cycle that pushed and pulled
everything, against a server that knows releases (its pull answered ``returned``), the cases the
rule lets go of are removed like the above and their ids kept (``sync_state.release_cases``), in
one transaction that also reads the outbox and the open questions. The server does not know: it
sends changes of every case as before. A pulled change of a released case is never applied: it is
logged by case id, skipped, and the case is marked wanted in the page's transaction. The next
pull of the cycle (the next page, or one more pull once the last page was ``done``) names up to
``MAX_REFETCH`` wanted cases (``PullRequest.refetch``); the server back-fills the ones the device
sees now (``PullResponse.returned``), which are then cases here like any other. ``refetch`` goes
only to a server that answered ``returned`` earlier in the cycle, so an older server never sees
it (a tablet whose server was replaced by an older one keeps the marks and skips those changes).
``cases_released`` in the status.

The tablet's audit events (``sync.audit_events``) are sent first, right after logging in, never
stopping the sync: the dossier judges each by the account's access when it arrives, so a read
goes before this cycle's pulls (and the push) rather than after them; a read whose access had
already ended on the dossier before the cycle is still written as refused.

Every network call happens outside a database transaction; every transaction that reads the
outbox and then writes takes the write lock first (``CaseStore.writing``), so an edit the user
makes during a sync is never lost or overwritten.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import ValidationError
from sqlalchemy import Connection, select

from models import outbox, sync_state
from models.calendar import today_in_amsterdam
from models.changes import Entity as ModelEntity
from models.crypto.sealing import Sealer
from models.outbox import BASES, OutboxItem
from models.store import CASES, CaseStore
from sync import audit_events, engine, signing_key
from sync.client import DeviceCredential, DossierClient, DossierSession
from sync.engine import Conflict, EntryState, OutboxEntry
from sync.errors import (
    DeviceRevokedError,
    EnrolledNotLoggedInError,
    LoginNeededError,
    NotEnrolledError,
    OfflineError,
    ServerError,
    SyncError,
)
from sync.protocol import (
    MAX_PUSH_BATCH,
    MAX_REFETCH,
    Entity,
    Mutation,
    Op,
    PullRequest,
    PullResponse,
    PushRequest,
)

log = logging.getLogger(__name__)

PULL_PAGE = 500
MAX_PUSH_ROUNDS = 1000
NO_CONSENT = "no_consent"  # REJECTED reason: held until the resident's consent reaches the server
TOO_LARGE = "body_too_large"  # 413 from the server: the batch is larger than it accepts


class SyncState(StrEnum):
    NOT_ENROLLED = "not_enrolled"
    OFFLINE = "offline"
    SYNCING = "syncing"  # for the UI while a cycle runs
    SYNCED = "synced"
    ERROR = "error"
    WIPED = "wiped"  # revoked device: the store is gone


@dataclass(frozen=True, slots=True)
class HeldBack:
    """A change the server refused: it stays on the device, visible, with a retry."""

    mutation_id: str
    entity: str
    record_id: str
    case_id: str
    reason: str

    @property
    def waits_for_consent(self) -> bool:
        return self.reason == NO_CONSENT


@dataclass(frozen=True, slots=True)
class SyncStatus:
    state: SyncState
    last_synced_at: datetime | None = None
    waiting: int = 0  # queued changes that will be sent
    kept_on_device: int = 0  # queued changes of cases without consent: never sent
    conflicts: int = 0  # fields waiting for the user's choice
    held_back: tuple[HeldBack, ...] = ()
    message: str | None = None  # for OFFLINE, ERROR, WIPED: what to tell the user
    code: str | None = None  # the error code behind ``message``
    # This cycle: cases removed from the device because access to them ended, and their unsent
    # changes that were dropped with them (the server refuses those now).
    cases_removed: int = 0
    changes_dropped: int = 0
    cases_released: int = 0  # closed cases this tablet let go of (models.caseload), this cycle


# -- outbox rows <-> engine entries -------------------------------------------------------------


def _entry(item: OutboxItem) -> OutboxEntry:
    device_time = item.device_time
    if device_time.tzinfo is None:
        device_time = device_time.replace(tzinfo=UTC)  # stored as UTC without an offset
    mutation = Mutation(
        mutation_id=uuid.UUID(item.mutation_id),
        entity=Entity(item.entity.value),
        record_id=uuid.UUID(item.record_id),
        case_id=uuid.UUID(item.case_id),
        op=Op(item.op),
        fields=item.fields,
        base_seq=item.base_seq,
        device_time=device_time,
        device_seq=item.seq,  # the outbox row's number: this device's order of its changes
    )
    return OutboxEntry(mutation=mutation, state=EntryState(item.state), reason=item.reason)


def _item(entry: OutboxEntry) -> OutboxItem:
    m = entry.mutation
    return OutboxItem(
        seq=0,
        mutation_id=str(m.mutation_id),
        entity=ModelEntity(m.entity.value),
        record_id=str(m.record_id),
        case_id=str(m.case_id),
        op=m.op.value,
        fields=dict(m.fields),
        base_seq=m.base_seq,
        device_time=m.device_time,
        state=entry.state.value,
        reason=entry.reason,
    )


def _entries(conn: Connection, sealer: Sealer) -> list[OutboxEntry]:
    entries: list[OutboxEntry] = []
    for item in outbox.items(conn, sealer):
        try:
            entries.append(_entry(item))
        except (ValueError, ValidationError):
            # Not a valid mutation (an id that is no UUID): keep it, visible, never drop it.
            if item.state != EntryState.HELD_BACK.value:
                outbox.mark(conn, item.mutation_id, state="held_back", reason="invalid_record")
    return entries


def _conflict_json(c: Conflict) -> dict[str, object]:
    return {
        "entity": c.entity.value,
        "record_id": str(c.record_id),
        "case_id": str(c.case_id),
        "field": c.field,
        "mine": c.mine,
        "theirs": c.theirs,
        "server_seq": c.server_seq,
        "mutation_id": str(c.mutation_id) if c.mutation_id else None,
    }


def _conflict(d: dict[str, object]) -> Conflict:
    mutation_id = d.get("mutation_id")
    seq = d.get("server_seq")
    return Conflict(
        entity=Entity(str(d["entity"])),
        record_id=uuid.UUID(str(d["record_id"])),
        case_id=uuid.UUID(str(d["case_id"])),
        field=str(d["field"]),
        mine=d.get("mine"),  # type: ignore[arg-type]
        theirs=d.get("theirs"),  # type: ignore[arg-type]
        server_seq=int(seq) if isinstance(seq, int) else None,
        mutation_id=uuid.UUID(str(mutation_id)) if mutation_id else None,
    )


def _load_conflicts(conn: Connection, sealer: Sealer) -> list[Conflict]:
    return [_conflict(d) for d in sync_state.load_conflicts(conn, sealer)]


def _save_conflicts(conn: Connection, sealer: Sealer, conflicts: Sequence[Conflict]) -> None:
    sync_state.save_conflicts(conn, sealer, [_conflict_json(c) for c in conflicts])


def open_conflicts(store: CaseStore) -> list[Conflict]:
    """The fields waiting for the user's choice (the two values are in each ``Conflict``)."""
    with store.reading() as (conn, sealer):
        return _load_conflicts(conn, sealer)


# -- which cases may leave the device -----------------------------------------------------------


def _shareable_cases(conn: Connection, case_ids: Iterable[str]) -> set[str]:
    """Of ``case_ids`` (the cases in the outbox), those with the resident's consent and those the
    server already has (so that a withdrawal of consent reaches it too). Everything else stays on
    this device. Only the asked cases are looked up: a cycle's cost follows the outbox, not the
    size of the case load (bench/sync_incremental.py)."""
    wanted = sorted(set(case_ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(
            conn.execute(
                select(CASES.c.id).where(CASES.c.consent_given.is_(True), CASES.c.id.in_(chunk))
            ).scalars()
        )
        found.update(
            conn.execute(
                select(BASES.c.record_id).where(
                    BASES.c.entity == ModelEntity.CASE.value, BASES.c.record_id.in_(chunk)
                )
            ).scalars()
        )
    return found


# -- the status line ------------------------------------------------------------------------------


def local_status(
    store: CaseStore,
    state: SyncState | None = None,
    *,
    message: str | None = None,
    code: str | None = None,
) -> SyncStatus:
    """The status from what the store knows (no network). ``state`` defaults to "synced" when this
    device has synced before and to "not enrolled" when it has no enrolment."""
    with store.reading() as (conn, sealer):
        enrolled = sync_state.is_enrolled(conn)
        items = outbox.items(conn, sealer)
        shareable = _shareable_cases(conn, (i.case_id for i in items))
        conflicts = len(sync_state.load_conflicts(conn, sealer))
        last = sync_state.last_synced_at(conn)
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    waiting = [i for i in items if i.state == EntryState.WAITING.value]
    held = tuple(
        HeldBack(i.mutation_id, i.entity.value, i.record_id, i.case_id, i.reason or "rejected")
        for i in items
        if i.state == EntryState.HELD_BACK.value
    )
    if state is None:
        state = SyncState.SYNCED if enrolled else SyncState.NOT_ENROLLED
    return SyncStatus(
        state=state,
        last_synced_at=last,
        waiting=sum(1 for i in waiting if i.case_id in shareable),
        kept_on_device=sum(1 for i in waiting if i.case_id not in shareable),
        conflicts=conflicts,
        held_back=held,
        message=message,
        code=code,
    )


# -- the cycle ------------------------------------------------------------------------------------


ClientFactory = Callable[[str], DossierClient]


def run_cycle(
    store: CaseStore,
    *,
    client_factory: ClientFactory = DossierClient,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> SyncStatus:
    """Pull, push, pull once against the enrolled server. Never raises a ``SyncError``: the
    outcome is in the returned status (a revoked device's store is wiped first)."""
    with store.reading() as (conn, sealer):
        account = sync_state.load_account(conn, sealer)
    if account is None:
        error = NotEnrolledError()
        return local_status(store, SyncState.NOT_ENROLLED, message=error.message, code=error.code)
    if not account.refresh_token:  # enrolled, but the first login failed
        login = LoginNeededError("not_logged_in")
        return local_status(store, SyncState.ERROR, message=login.message, code=login.code)
    try:
        client = client_factory(account.server_url)
    except SyncError as error:
        return local_status(store, SyncState.ERROR, message=error.message, code=error.code)

    def keep_refresh_token(token: str) -> None:
        with store.writing() as (conn, sealer):
            sync_state.save_refresh_token(conn, sealer, token)

    session = DossierSession(
        client, refresh_token=account.refresh_token, on_refresh=keep_refresh_token
    )
    device_id = uuid.UUID(account.device_id)
    forgotten: list[sync_state.ForgetResult] = []  # cases whose access ended, as pulled
    releases = Releases()
    try:
        # Reads and exports done on this tablet: first, as close to them as a cycle can be.
        audit_events.send_waiting(store, session)
        pull_all(
            store, session, device_id=device_id, now=now, forgotten=forgotten, releases=releases
        )
        push_all(store, session, device_id=device_id)
        pull_all(
            store, session, device_id=device_id, now=now, forgotten=forgotten, releases=releases
        )
        signing_key.send_once(store, session, device_id=account.device_id, now=now)
        with store.writing() as (conn, sealer):
            if releases.supported:
                releases.released = release_closed_cases(conn, sealer, now=now())
            sync_state.set_last_synced_at(conn, now())
    except DeviceRevokedError as error:
        client.close()
        store.wipe()
        return SyncStatus(SyncState.WIPED, message=error.message, code=error.code)
    except OfflineError as error:
        status = local_status(store, SyncState.OFFLINE, message=error.message, code=error.code)
        return _removed(status, forgotten)
    except SyncError as error:
        log.warning("sync stopped: %s", error.code)
        status = local_status(store, SyncState.ERROR, message=error.message, code=error.code)
        return _removed(status, forgotten)
    finally:
        client.close()
    status = _removed(local_status(store, SyncState.SYNCED), forgotten)
    return replace(status, cases_released=releases.released)


@dataclass(slots=True)
class Releases:
    """What a cycle learnt about releasing closed cases."""

    supported: bool = False  # the server's last pull answered ``returned``: it knows releases
    released: int = 0  # cases let go of at the end of the cycle


def release_closed_cases(conn: Connection, sealer: Sealer, *, now: datetime) -> int:
    """Let go of the closed cases ``models.caseload`` allows, in the caller's transaction (which
    holds the write lock)."""
    found = sync_state.releasable_cases(conn, sealer, today=today_in_amsterdam(now))
    if not found:
        return 0
    return sync_state.release_cases(conn, sealer, found, now=now).cases


def _without_released(
    page: PullResponse, released: Collection[str]
) -> tuple[PullResponse, list[str]]:
    """The page without the changes of released cases that did not come back whole, and the
    ids of those cases (sorted): they are to be asked for whole."""
    if not released:
        return page, []
    back = {str(c) for c in page.returned or ()}
    skipped = sorted({str(c.case_id) for c in page.changes if str(c.case_id) in released} - back)
    if not skipped:
        return page, []
    for case_id in skipped:
        log.warning("pulled changes of released case %s not applied: asked for whole", case_id)
    away = set(skipped)
    kept = [c for c in page.changes if str(c.case_id) not in away]
    return page.model_copy(update={"changes": kept}), skipped


def _removed(status: SyncStatus, forgotten: Sequence[sync_state.ForgetResult]) -> SyncStatus:
    total = sum(forgotten, sync_state.ForgetResult())
    if not total.cases and not total.changes_dropped:
        return status
    return replace(status, cases_removed=total.cases, changes_dropped=total.changes_dropped)


def pull_all(
    store: CaseStore,
    session: DossierSession,
    *,
    device_id: uuid.UUID,
    now: Callable[[], datetime],
    forgotten: list[sync_state.ForgetResult] | None = None,
    releases: Releases | None = None,
) -> None:
    """Pull every page from the saved cursor on; each page is applied in one transaction,
    together with removing the cases whose access ended (added to ``forgotten``), taking back
    the released cases that came back whole and marking those a change of which came (asked
    for whole in the next request, one more after the last page if needed)."""
    if releases is None:
        releases = Releases()
    while True:
        with store.reading() as (conn, _sealer):
            cursor = sync_state.cursor(conn)
            released = set(sync_state.released_case_ids(conn))
            refetch = (
                sync_state.wanted_case_ids(conn, limit=MAX_REFETCH) if releases.supported else []
            )
        request = PullRequest(
            cursor=cursor, limit=PULL_PAGE, refetch=[uuid.UUID(c) for c in refetch]
        )
        page = session.pull(request)
        releases.supported = page.returned is not None
        with store.writing() as (conn, sealer):
            if (
                sync_state.cursor(conn) != cursor
                or set(sync_state.released_case_ids(conn)) != released
            ):
                continue  # another cycle applied this page meanwhile: ask again from there
            back = {str(c) for c in page.returned or ()}
            if page.returned is not None:
                sync_state.not_wanted(conn, set(refetch) - back)
            sync_state.take_back(conn, back)
            page, skipped = _without_released(page, released)
            sync_state.want_back(conn, skipped)
            entries = _entries(conn, sealer)
            plan = engine.plan_pull(
                page,
                entries,
                own_device=device_id,
                open_conflicts=_load_conflicts(conn, sealer),
            )
            result = sync_state.apply_remote(conn, sealer, plan.writes, now=now())
            if result.skipped:
                log.warning("%d pulled changes could not be applied here", result.skipped)
            _mark_conflicts(conn, entries, plan.conflicts)
            _save_conflicts(conn, sealer, plan.conflicts)
            # Last: it also drops those cases' outbox rows and conflicts just written.
            ended = sync_state.forget_cases(conn, sealer, page.access_ended)
            sync_state.set_cursor(conn, plan.cursor)
            more = releases.supported and bool(sync_state.wanted_case_ids(conn, limit=1))
        if forgotten is not None and (ended.cases or ended.changes_dropped):
            forgotten.append(ended)
        if plan.done and not more:
            return


def _mark_conflicts(
    conn: Connection, entries: Sequence[OutboxEntry], conflicts: Sequence[Conflict]
) -> None:
    for before, after in zip(entries, engine.mark_conflicts(entries, conflicts), strict=True):
        if after.state is not before.state:
            outbox.mark(
                conn, str(after.mutation.mutation_id), state=after.state.value, reason=after.reason
            )


def push_all(store: CaseStore, session: DossierSession, *, device_id: uuid.UUID) -> None:
    """Send waiting changes of shareable cases until nothing more moves.

    A batch the server finds too large (413 ``body_too_large``: long texts) is sent again in
    halves; a single change that is too large on its own is held back with the reason
    ``too_large``, visible, instead of blocking everything behind it. Once batches were made
    smaller, what is held back in this cycle stays so until the next one (a case's first changes
    may have been split from the consent that travels with them), so the rounds always end."""
    limit = MAX_PUSH_BATCH
    parked: set[str] = set()  # held back after batches were made smaller: retried next cycle
    for _round in range(MAX_PUSH_ROUNDS):
        with store.writing() as (conn, sealer):
            entries = _entries(conn, sealer)
            shareable = _shareable_cases(conn, (str(e.mutation.case_id) for e in entries))
            for e in entries:
                # Held only for want of consent, and the case may be shared now: try again.
                queued_id = str(e.mutation.mutation_id)
                shared = str(e.mutation.case_id) in shareable
                if e.reason == NO_CONSENT and shared and queued_id not in parked:
                    outbox.mark(conn, queued_id, state="waiting", reason=None)
            entries = _entries(conn, sealer)
        eligible = [e for e in entries if str(e.mutation.case_id) in shareable]
        batch = engine.next_push(eligible, limit=limit)
        if not batch:
            return
        try:
            response = session.push(PushRequest(device_id=device_id, mutations=batch))
        except ServerError as error:
            if error.code != TOO_LARGE:
                raise
            if len(batch) > 1:
                limit = max(1, len(batch) // 2)
            else:
                with store.writing() as (conn, _sealer):
                    too_large = str(batch[0].mutation_id)
                    outbox.mark(conn, too_large, state="held_back", reason="too_large")
            continue
        outcome = engine.read_push_response(batch, response)
        with store.writing() as (conn, sealer):
            outbox.remove(conn, [str(i) for i in outcome.acknowledged])
            for mutation_id, reason in outcome.held_back.items():
                outbox.mark(conn, str(mutation_id), state="held_back", reason=reason)
            for mutation_id, base_seq in outcome.rebased.items():
                sync_state.rebase(conn, str(mutation_id), base_seq)
            conflicts = engine.merge_conflicts(_load_conflicts(conn, sealer), outcome.conflicts)
            # Every change holding a field in question stops, not only the one the server named:
            # an older value of that field must not go out while the user decides on a newer one.
            _mark_conflicts(conn, _entries(conn, sealer), conflicts)
            _save_conflicts(conn, sealer, conflicts)
        parked_now: set[str] = set()
        if limit < MAX_PUSH_BATCH:
            parked_now = {str(i) for i in outcome.held_back} - parked
            parked |= parked_now
        if not outcome.acknowledged and not outcome.rebased and not parked_now:
            return  # nothing moved: the rest waits for the user or the next cycle
    log.warning("push stopped after %d rounds", MAX_PUSH_ROUNDS)


# -- the user's side: resolve, retry ---------------------------------------------------------------


def resolve_conflict(
    store: CaseStore,
    conflict: Conflict,
    *,
    keep_mine: bool,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Apply the user's choice for one field (``sync.engine.resolve``), in one transaction."""
    with store.writing() as (conn, sealer):
        entries = _entries(conn, sealer)
        remaining = [c for c in _load_conflicts(conn, sealer) if c != conflict]
        resolution = engine.resolve(entries, conflict, keep_mine=keep_mine)
        new_outbox = resolution.outbox
        if keep_mine and conflict.field == engine.DELETED and conflict.theirs is True:
            new_outbox = _whole_record_again(conn, sealer, new_outbox, conflict)
        # The chosen mutation was split under new ids: point the other open questions about the
        # same record at the entry that now holds their field, so "keep mine" still finds it.
        remaining = [_repoint(c, new_outbox) for c in remaining]
        # Changes no open question is about any more go out again; the others stay stopped.
        new_outbox = engine.mark_conflicts(new_outbox, remaining)
        sync_state.rewrite_outbox(conn, sealer, [_item(e) for e in new_outbox])
        if resolution.local_write is not None:
            sync_state.apply_remote(conn, sealer, [resolution.local_write], now=now())
        _save_conflicts(conn, sealer, remaining)


def _whole_record_again(
    conn: Connection, sealer: Sealer, entries: list[OutboxEntry], conflict: Conflict
) -> list[OutboxEntry]:
    """Keeping a record someone else deleted: the server holds nothing of it any more, so the
    pending edits (a few fields each) go out as one upsert of the whole local record, which
    already holds them. Sent alone, they made a record of only those fields on the server, which
    no other device could apply (found by tests/integration/sync/test_convergence_stateful.py)."""
    key = (conflict.entity, conflict.record_id)
    mine = [i for i, e in enumerate(entries) if e.key == key]
    if not mine or any(entries[i].mutation.op is not Op.UPSERT for i in mine):
        return entries
    fields = sync_state.local_fields(
        conn, sealer, ModelEntity(conflict.entity.value), str(conflict.record_id)
    )
    if fields is None:
        return entries
    first = entries[mine[0]].mutation
    whole = first.model_copy(update={"mutation_id": uuid.uuid4(), "fields": fields})
    return [
        OutboxEntry(mutation=whole) if i == mine[0] else e
        for i, e in enumerate(entries)
        if i == mine[0] or e.key != key
    ]


def _repoint(conflict: Conflict, entries: Sequence[OutboxEntry]) -> Conflict:
    ids = {e.mutation.mutation_id for e in entries}
    if conflict.mutation_id is None or conflict.mutation_id in ids:
        return conflict
    holders = [
        e.mutation.mutation_id
        for e in entries
        if (e.mutation.entity, e.mutation.record_id) == (conflict.entity, conflict.record_id)
        and (conflict.field in e.mutation.fields or conflict.field == engine.DELETED)
    ]
    return replace(conflict, mutation_id=holders[-1]) if holders else conflict


def retry(store: CaseStore, mutation_id: str) -> None:
    """The user asks to send a held-back change again (next cycle)."""
    with store.writing() as (conn, sealer):
        for item in outbox.items(conn, sealer):
            if item.mutation_id == mutation_id and item.state == EntryState.HELD_BACK.value:
                outbox.mark(conn, mutation_id, state=EntryState.WAITING.value, reason=None)


# -- enrolment ------------------------------------------------------------------------------------


def enrol_device(
    store: CaseStore,
    url: str,
    code: str,
    *,
    email: str,
    password: str,
    label: str = "",
    client_factory: ClientFactory = DossierClient,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> sync_state.SyncAccount:
    """Enrol this device with a one-time code, log the professional in, keep the credential.

    The device secret, the refresh token and the e-mail address are sealed in the store; the
    password is used once and never kept. Raises ``SyncError`` subclasses.

    The code is spent as soon as the server enrols the device. When the login after it fails (a
    mistyped password, the connection lost), the device credential is kept anyway, without a
    refresh token, and ``EnrolledNotLoggedInError`` is raised: a later ``log_in_again`` (or
    ``python main.py sync``) finishes the job, so nobody needs a new code for a typing error.
    """
    with client_factory(url) as client:
        credential = client.enrol(code, label=label)
        try:
            tokens = client.login(credential, email=email, password=password)
        except DeviceRevokedError:
            raise
        except SyncError as error:
            pending = sync_state.SyncAccount(
                server_url=client.base_url,
                device_id=str(credential.device_id),
                account_id="",
                email=email,
                device_secret=credential.device_secret,
                refresh_token="",
            )
            with store.writing() as (conn, sealer):
                sync_state.save_account(conn, sealer, pending, now=now())
            raise EnrolledNotLoggedInError(error) from None
        account = sync_state.SyncAccount(
            server_url=client.base_url,
            device_id=str(credential.device_id),
            account_id=str(tokens.account_id),
            email=email,
            device_secret=credential.device_secret,
            refresh_token=tokens.refresh_token,
            role=tokens.role,
        )
    with store.writing() as (conn, sealer):
        sync_state.save_account(conn, sealer, account, now=now())
    return account


def log_in_again(
    store: CaseStore,
    *,
    password: str,
    email: str | None = None,
    client_factory: ClientFactory = DossierClient,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Log the enrolled device in anew (after ``LoginNeededError``) with its kept credential.

    ``email`` replaces the kept e-mail address (after a login that failed on a mistyped one)."""
    with store.reading() as (conn, sealer):
        account = sync_state.load_account(conn, sealer)
    if account is None:
        raise NotEnrolledError()
    email = email or account.email
    with client_factory(account.server_url) as client:
        credential = DeviceCredential(uuid.UUID(account.device_id), account.device_secret)
        tokens = client.login(credential, email=email, password=password)
    with store.writing() as (conn, sealer):
        if account.refresh_token and email == account.email:
            sync_state.save_refresh_token(conn, sealer, tokens.refresh_token)
            sync_state.save_role(conn, tokens.role)
        else:  # finishing an enrolment whose first login failed, or a corrected address
            sync_state.save_account(
                conn,
                sealer,
                replace(
                    account,
                    account_id=str(tokens.account_id),
                    email=email,
                    refresh_token=tokens.refresh_token,
                    role=tokens.role,
                ),
                now=now(),
            )


# The code of a cycle the tablet's own storage stopped (``models.errors.StorageError``, "full"):
# nothing was half-applied (the store rolled back); the next cycle after making room goes on.
DEVICE_FULL_CODE = "device_full"
DEVICE_STORAGE_CODE = "device_storage"  # read-only or failing storage

# Error codes after which a new login (the account password) lets sync go on.
LOGIN_CODES = frozenset(
    {
        "not_logged_in",
        "invalid_token",
        "refresh_reused",
        "token_revoked",
        "account_inactive",
        "unauthorised",
    }
)
