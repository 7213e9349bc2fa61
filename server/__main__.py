"""``python -m server``: start the dossier server, migrate, create the first administrator.

    python -m server                      migrate, then serve on KEUKENTAFEL_HOST:KEUKENTAFEL_PORT
    python -m server migrate              only bring the database up to date
    python -m server create-admin --email EMAIL --organisation NAME
                                          password from KEUKENTAFEL_ADMIN_PASSWORD, else a prompt
    python -m server verify-audit         check the audit log's hash chain
    python -m server erase-case CASE_ID --request REF
                                          erase a case on request (AVG art. 17)
    python -m server purge-closed --closed-before YYYY-MM-DD [--dry-run]
                                          erase the cases closed before that day (retention)

Settings come from the environment (see server/settings.py and server/README.md).
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
import uuid
from datetime import date

from pydantic import ValidationError
from sqlmodel import Session

from server.settings import Settings

PURGE_HELP = """\
Erase every case whose case record says it was closed before --closed-before, with the same
steps as erase-case: all its rows go, its members' tablets remove it at their next sync, a late
push of it is refused. One transaction per case: when one fails, the cases erased before it stay
erased and the command says how many. Open cases (no closing day) are never touched; a case
reopened while the command runs is kept. Only counts are printed, never names or ids.

Which day: the operator chooses it, from the organisation's retention schedule
(bewaartermijnen). Where a law or the archive rules set a period for the file, that period counts
(e.g. for a Wmo support plan kept by a municipality, the Selectielijst gemeenten; for youth care,
the Jeugdwet's 20 years). Where none does, our recommendation is 2 years after closing: long
enough for a complaint, an objection or a follow-up request about the plan, and no longer
(AVG art. 5(1)(e)). Run it monthly, e.g. with --closed-before set to today minus the period.

The audit log is never purged: it keeps its rows (ids and codes only) at least 5 years (NEN 7513)
and gets one row per erased case, reason retention_expired. An erased case's audit trail stays
exportable by its organisation's administrator (GET /cases/{id}/audit).
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="migrate, then serve (the default)")
    commands.add_parser("migrate", help="bring the database up to the newest migration")
    admin = commands.add_parser("create-admin", help="create an organisation and its administrator")
    admin.add_argument("--email", required=True)
    admin.add_argument("--organisation", required=True, help="the organisation's name")
    commands.add_parser("verify-audit", help="check the audit log's hash chain")
    erase = commands.add_parser(
        "erase-case",
        help="erase every record of a case on request (AVG art. 17), in one transaction",
    )
    erase.add_argument("case_id", metavar="CASE_ID")
    erase.add_argument(
        "--request",
        required=True,
        metavar="REF",
        help="the request's reference in your own register (letters, digits and . _ / -, at "
        "most 40; never a name: a command line ends up in shell history). Checked, never "
        "stored or printed; the audit row gets the code erased_on_request.",
    )
    purge = commands.add_parser(
        "purge-closed",
        help="erase every case closed before a day (retention, AVG art. 5(1)(e)), one case per "
        "transaction, as erase-case does (audit reason retention_expired)",
        description=PURGE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    purge.add_argument(
        "--closed-before",
        required=True,
        metavar="YYYY-MM-DD",
        help="erase the cases whose closing day (closed_on) is before this day",
    )
    purge.add_argument(
        "--dry-run", action="store_true", help="only print how many cases would be erased"
    )
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        for problem in error.errors():
            print(f"settings: {problem['msg']}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        from server.db import migrate

        migrate(settings.database_url)
        return 0
    if args.command == "create-admin":
        return _create_admin(settings, email=args.email, organisation=args.organisation)
    if args.command == "verify-audit":
        return _verify_audit(settings)
    if args.command == "erase-case":
        return _erase_case(settings, case_id=args.case_id, request=args.request)
    if args.command == "purge-closed":
        return _purge_closed(settings, closed_before=args.closed_before, dry_run=args.dry_run)
    return _serve(settings)


def _serve(settings: Settings) -> int:
    import uvicorn

    from server.app import create_app
    from server.db import migrate

    migrate(settings.database_url)
    # Access logs carry paths (ids) and peers, never bodies; keep them, but no request bodies
    # are ever logged by this server.
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        proxy_headers=False,  # server.transport decides which proxy to believe
        ssl_certfile=settings.ssl_certfile,
        ssl_keyfile=settings.ssl_keyfile,
    )
    return 0


def _create_admin(settings: Settings, *, email: str, organisation: str) -> int:
    from server.crud import accounts as crud
    from server.db import make_engine, migrate
    from server.models.accounts import AccountCreate, Role

    password = os.environ.get("KEUKENTAFEL_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    try:
        account_in = AccountCreate(email=email, role=Role.ADMINISTRATOR, password=password)
    except ValidationError as error:
        for problem in error.errors():
            print(f"{'.'.join(map(str, problem['loc']))}: {problem['msg']}", file=sys.stderr)
        return 2
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        if crud.get_account_by_email(session=session, email=email) is not None:
            print("An account with this e-mail address exists.", file=sys.stderr)
            return 1
        org = crud.create_organisation(session=session, name=organisation)
        account = crud.create_account(
            session=session, settings=settings, organisation_id=org.id, account_in=account_in
        )
        session.commit()
        print(f"administrator {account.id} of organisation {org.id} created")
    engine.dispose()
    return 0


def _verify_audit(settings: Settings) -> int:
    from server.audit import verify_database
    from server.db import make_engine

    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        broken = verify_database(session)
    engine.dispose()
    if broken is None:
        print("audit chain intact")
        return 0
    print(f"audit chain broken at row {broken}", file=sys.stderr)
    return 1


# A reference, not free text: what is typed on a command line stays in shell history and shows in
# the process list, so it must not be a place to write the resident's name or the request's text.
REQUEST_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}")


def _erase_case(settings: Settings, *, case_id: str, request: str) -> int:
    from server.db import make_engine, migrate
    from server.erasure import ErasureError, erase_case

    try:
        case = uuid.UUID(case_id)
    except ValueError:
        print("erase-case: CASE_ID is not a case id (a UUID)", file=sys.stderr)
        return 2
    if REQUEST_REFERENCE.fullmatch(request) is None:
        print(
            "erase-case: --request must be a reference (letters, digits and . _ / -, at most 40), "
            "not a name or a sentence",
            file=sys.stderr,
        )
        return 2
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            try:
                erased = erase_case(session, case)
            except ErasureError as error:
                session.rollback()
                print(f"erase-case: {error}; nothing was changed", file=sys.stderr)
                return 1
            session.commit()
    finally:
        engine.dispose()
    print(
        f"case {erased.case_id} erased: {erased.records} records, {erased.changes} changes; "
        f"access ended for {erased.members} accounts (seq {erased.seq})"
    )
    return 0


def _purge_closed(settings: Settings, *, closed_before: str, dry_run: bool) -> int:
    from server.db import make_engine, migrate
    from server.erasure import PurgeError, closed_case_ids, purge_closed

    try:
        day = date.fromisoformat(closed_before)
    except ValueError:
        print("purge-closed: --closed-before is not a day (YYYY-MM-DD)", file=sys.stderr)
        return 2
    if day > date.today():
        print("purge-closed: --closed-before lies in the future", file=sys.stderr)
        return 2
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        if dry_run:
            with Session(engine) as session:
                count = len(closed_case_ids(session, day))
            print(f"{count} cases closed before {day} would be erased (dry run, nothing changed)")
            return 0
        try:
            purged = purge_closed(engine, day)
        except PurgeError as error:
            print(
                f"purge-closed: {error.erased} cases erased, then a failure "
                f"({type(error.cause).__name__}); that case and {error.remaining - 1} more were "
                "not changed. Run the command again.",
                file=sys.stderr,
            )
            return 1
    finally:
        engine.dispose()
    kept = f"; {purged.kept} reopened meanwhile and kept" if purged.kept else ""
    print(f"{purged.erased} cases closed before {day} erased{kept}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
