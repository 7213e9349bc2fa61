"""Send this tablet's public signing key to the dossier, once per enrolment.

A plan PDF carries the key that signed it, so the file alone proves it is unchanged but not which
tablet signed it. The dossier keeps each device's public key (``PUT /devices/me/signing-key``,
server migration 0007), and its device list shows the fingerprint that ``python main.py verify``
prints for each signature: an administrator can trace a signed PDF to an enrolled tablet.

- Sent at the end of a sync cycle, not in the enrolment request, so a new tablet still enrols with
  an older server. An older server answers 404: nothing is marked, the next cycle tries again.
- Sent once: the device id it was sent for is kept in the store's plaintext ``store_meta`` (the
  public key is not secret). A new enrolment (another device id) sends it again.
- The server never replaces a kept key (409 ``signing_key_differs``): plans signed with the first
  must stay traceable. That cannot happen with the store holding the enrolment, so it is logged
  (without details) and marked as done rather than tried every minute.
- Anything else the server says is logged and tried again next cycle; it never stops the sync.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from models.store import META, CaseStore
from sync.client import DossierSession
from sync.errors import ServerError

log = logging.getLogger(__name__)

PATH = "/devices/me/signing-key"
SENT_FOR = "sync.signing_key_sent_for"  # store_meta key: the device id the key was sent for
NOT_KEPT_HERE = frozenset({"not_found", "http_404", "http_405"})  # a server from before 0007


def sent_for(store: CaseStore) -> str | None:
    query = select(META.c.value).where(META.c.key == SENT_FOR)
    with store.engine.connect() as conn:
        value: str | None = conn.execute(query).scalar()
    return value


def _mark_sent(store: CaseStore, device_id: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            sqlite_insert(META)
            .values(key=SENT_FOR, value=device_id)
            .on_conflict_do_update(index_elements=["key"], set_={"value": device_id})
        )


def send_once(
    store: CaseStore, session: DossierSession, *, device_id: str, now: Callable[[], datetime]
) -> bool:
    """Send the key if not yet sent for this enrolment; True when the dossier holds it now."""
    if sent_for(store) == device_id:
        return True
    from models.signing import device_key  # Ed25519 and the plan code: only when needed

    key = device_key(store, now=now())
    try:
        session.put_json(PATH, {"public_key": key.public_key.hex()})
    except ServerError as error:
        if error.code == "signing_key_differs":
            log.warning("the dossier keeps another signing key for this device")
            _mark_sent(store, device_id)
            return False
        if error.code in NOT_KEPT_HERE:
            log.info("the dossier server keeps no signing keys yet")
        else:
            log.warning("sending the signing key failed: %s", error.code)
        return False
    _mark_sent(store, device_id)
    return True
