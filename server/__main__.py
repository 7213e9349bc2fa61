"""``python -m server``: start the dossier server, migrate, create the first administrator.

    python -m server                      migrate, then serve on KEUKENTAFEL_HOST:KEUKENTAFEL_PORT
    python -m server migrate              only bring the database up to date
    python -m server create-admin --email EMAIL --organisation NAME
                                          password from KEUKENTAFEL_ADMIN_PASSWORD, else a prompt
    python -m server verify-audit         check the audit log's hash chain
    python -m server erase-case CASE_ID --reason TEXT
                                          erase a case on request (AVG art. 17)

Settings come from the environment (see server/settings.py and server/README.md).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import uuid

from pydantic import ValidationError
from sqlmodel import Session

from server.settings import Settings


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
        "--reason",
        required=True,
        help="why (e.g. the request's reference); required, but never stored or printed: free "
        "text may name the resident. The audit row gets the code erased_on_request.",
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
        return _erase_case(settings, case_id=args.case_id, reason=args.reason)
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


def _erase_case(settings: Settings, *, case_id: str, reason: str) -> int:
    from server.db import make_engine, migrate
    from server.erasure import ErasureError, erase_case

    try:
        case = uuid.UUID(case_id)
    except ValueError:
        print("erase-case: CASE_ID is not a case id (a UUID)", file=sys.stderr)
        return 2
    if not reason.strip():
        print("erase-case: --reason must not be empty", file=sys.stderr)
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


if __name__ == "__main__":
    sys.exit(main())
