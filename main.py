"""Keukentafel: entry point and command line.

    python main.py [run]                start the app: a window, or http://127.0.0.1:8550
    python main.py init                 set up the encrypted case file on this device
    python main.py seed --cases N       add N synthetic demo cases (Faker nl_NL; never real people)
    python main.py overdue [--json]     overdue and due-soon MDOs and agreements, most overdue first
    python main.py verify FILE          check a signed plan PDF: hash, every signature, the text
    python main.py enrol URL CODE       link this device to the dossier server (one-time code)
    python main.py sync                 one sync cycle with the dossier server; exit codes:
                                        0 synced, 1 error or offline, 3 conflicts wait for you
    python main.py passphrase           change the passphrase or PIN of the case file

The passphrase comes from ``KEUKENTAFEL_PASSPHRASE`` when set (for scripts and tests: anyone who can
read your environment can then read the case file), otherwise it is asked for in the terminal.
``passphrase`` takes the new one from ``KEUKENTAFEL_NEW_PASSPHRASE`` the same way.
Errors print as one line in the user's language and exit non-zero; unexpected errors print only
their
type, because a message or traceback may contain personal data (``KEUKENTAFEL_DEBUG=1`` shows it).
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from models.calendar import today_in_amsterdam
from models.datafolder import store_path
from models.errors import KeukentafelError, StoreNotFoundError
from models.i18n import LANGUAGES, _, ngettext, set_language

# The store, queries and demo data load in the commands that use them: `run` starts faster when
# its web server is up before the heavy imports (see ui/launch.py).
if TYPE_CHECKING:
    from models.store import CaseStore
    from sync.cycle import SyncStatus

EXIT_ERROR = 1
EXIT_UNEXPECTED = 2
EXIT_CONFLICTS = 3  # sync: done, but conflicts wait for the user's choice


class CliError(KeukentafelError):
    """A problem with how a command was called."""


def _now() -> datetime:
    return datetime.now(UTC)


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("use a date like 2026-11-24")) from None


def _passphrase(prompt: str) -> str:
    from_env = os.environ.get("KEUKENTAFEL_PASSPHRASE")
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise CliError(_("Set KEUKENTAFEL_PASSPHRASE or run this in a terminal to type it."))
    return getpass.getpass(prompt)


def _open_unlocked(path: Path) -> CaseStore:
    from models.store import CaseStore

    store = CaseStore.open(path)
    store.unlock(_passphrase(_("Passphrase: ")), now=_now())
    return store


def _create(path: Path) -> CaseStore:
    passphrase = _passphrase(_("New passphrase: "))
    if not os.environ.get("KEUKENTAFEL_PASSPHRASE") and passphrase != getpass.getpass(
        _("Type it again: ")
    ):
        raise CliError(_("The two passphrases are not the same. Nothing was created."))
    from models.store import CaseStore

    store = CaseStore.create(path, passphrase, now=_now())
    if store.passphrase_only:
        print(
            _(
                "Warning: this device has no key store, so only your passphrase protects the "
                "case file. Keep it long and secret."
            ),
            file=sys.stderr,
        )
    return store


def cmd_passphrase(args: argparse.Namespace) -> int:
    """Change the passphrase or PIN: the data key is re-wrapped, nothing is re-encrypted.

    A wrong current passphrase counts as a failed unlock (the same back-off as in the app).
    """
    from models.errors import WrongPassphraseError
    from models.store import CaseStore

    store = CaseStore.open(args.store)
    try:
        current = _passphrase(_("Current passphrase or PIN: "))
        new = os.environ.get("KEUKENTAFEL_NEW_PASSPHRASE")
        if not new:
            if not sys.stdin.isatty():
                raise CliError(
                    _("Set KEUKENTAFEL_NEW_PASSPHRASE or run this in a terminal to type it.")
                )
            new = getpass.getpass(_("New passphrase or PIN: "))
            if new != getpass.getpass(_("Type it again: ")):
                raise CliError(_("The two passphrases are not the same. Nothing was changed."))
        if new == current:
            raise CliError(_("The new passphrase is the same as the current one."))
        try:
            store.change_passphrase(current, new, now=_now())
        except WrongPassphraseError:
            raise CliError(
                _("Your current passphrase or PIN is not right. Nothing was changed.")
            ) from None
    finally:
        store.close()
    print(_("Your passphrase has been changed. From now on, unlock with the new one."))
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    store = _create(args.store)
    store.close()
    print(_("Case file set up at {path}").format(path=args.store))
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from models.demo_data import demo_case_files, demo_profile
    from models.profile import save_profile

    if args.cases < 1:
        raise CliError(_("--cases must be at least 1."))
    try:
        store = _open_unlocked(args.store)
    except StoreNotFoundError:
        store = _create(args.store)
        # A device set up here has had no first run: give it a synthetic professional, so Settings
        # shows one and signatures in a demo name a witness. An existing device keeps its own.
        organisations = store.organisations()
        first = organisations[0].id if organisations else None
        save_profile(store, demo_profile(first, seed=args.seed), now=_now())
    today = args.today or today_in_amsterdam(_now())
    try:
        # Synthetic demo data stays on this device: it must never reach the shared dossier.
        added = store.add_case_files(
            demo_case_files(args.cases, today=today, seed=args.seed),
            today=today,
            now=_now(),
            queue_for_sync=False,
        )
    finally:
        store.close()
    print(_("Added {count} demo cases.").format(count=added))
    return 0


def cmd_overdue(args: argparse.Namespace) -> int:
    from models import queries

    store = _open_unlocked(args.store)
    today = args.today or today_in_amsterdam(_now())
    try:
        items = queries.overdue(store, today=today, include_due_soon=not args.overdue_only)
    finally:
        store.close()
    if args.json:
        rows = [
            {
                "kind": i.kind.value,
                "case_id": i.case_id,
                "record_id": i.record_id,
                "resident_name": i.resident_name,
                "due": i.deadline.due.isoformat(),
                "days_left": i.deadline.days_left,
                "state": i.deadline.state.value,
                "damaged": i.damaged,
            }
            for i in items
        ]
        json.dump(
            {"today": today.isoformat(), "items": rows}, sys.stdout, ensure_ascii=False, indent=2
        )
        print()
        return 0
    if not items:
        print(_("Nothing overdue or due soon."))
        return 0
    kinds = {queries.OverdueKind.MEETING: _("MDO"), queries.OverdueKind.AGREEMENT: _("agreement")}
    for item in items:
        days = item.deadline.days_left
        if days < 0:
            when = ngettext("{n} day late", "{n} days late", -days).format(n=-days)
        elif days == 0:
            when = _("due today")
        else:
            when = ngettext("{n} day left", "{n} days left", days).format(n=days)
        name = item.resident_name or _("(damaged record)")
        print(f"{when:>16}  {kinds[item.kind]:<10} {name:<32} {item.case_id[:8]}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from ui.launch import DEFAULT_PORT, run  # Flet loads only for this command

    web = bool(getattr(args, "web", False))
    port = getattr(args, "port", None)
    if port is not None and not 1 <= port <= 65535:
        raise CliError(_("--port must be between 1 and 65535."))
    return run(args.store, web=web or port is not None, port=port or DEFAULT_PORT)


def cmd_verify(args: argparse.Namespace) -> int:
    from models.verify import run_verify_cli  # pypdf loads only for this command

    return run_verify_cli(args.file)


def _account_login(*, ask_email: bool) -> tuple[str, str]:
    """The professional's account e-mail and password: from the environment, else asked."""
    email = os.environ.get("KEUKENTAFEL_ACCOUNT_EMAIL", "")
    password = os.environ.get("KEUKENTAFEL_ACCOUNT_PASSWORD", "")
    if (ask_email and not email) or not password:
        if not sys.stdin.isatty():
            raise CliError(
                _(
                    "Set KEUKENTAFEL_ACCOUNT_EMAIL and KEUKENTAFEL_ACCOUNT_PASSWORD or run this "
                    "in a terminal to type them."
                )
            )
        if ask_email and not email:
            email = input(_("E-mail address of your account: ")).strip()
        if not password:
            password = getpass.getpass(_("Password of your account: "))
    return email, password


def cmd_enrol(args: argparse.Namespace) -> int:
    from sync.cycle import enrol_device  # httpx loads only for the sync commands
    from sync.errors import EnrolledNotLoggedInError

    try:
        store = _open_unlocked(args.store)
    except StoreNotFoundError:
        store = _create(args.store)
    try:
        email, password = _account_login(ask_email=True)
        enrol_device(store, args.url, args.code, email=email, password=password, label=args.label)
    except EnrolledNotLoggedInError as error:
        # The code is spent but the credential is kept: `sync` logs in without a new code.
        print(f"keukentafel: {error.message}", file=sys.stderr)
        print(_("To log in: python main.py sync"), file=sys.stderr)
        return EXIT_ERROR
    finally:
        store.close()
    print(_("This device is now linked to the dossier server."))
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from sync import cycle

    store = _open_unlocked(args.store)
    try:
        status = cycle.run_cycle(store)
        if status.code in cycle.LOGIN_CODES and (
            os.environ.get("KEUKENTAFEL_ACCOUNT_PASSWORD") or sys.stdin.isatty()
        ):
            # After a failed first login the address may have been the mistake: ask it again.
            email, password = _account_login(ask_email=status.code == "not_logged_in")
            cycle.log_in_again(store, password=password, email=email or None)
            status = cycle.run_cycle(store)
    finally:
        store.close()  # after a wipe this only drops what is left in memory
    return _print_status(status)


def _print_status(status: SyncStatus) -> int:
    from sync.cycle import SyncState

    if status.state is SyncState.WIPED:
        print(f"keukentafel: {status.message}", file=sys.stderr)
        return EXIT_ERROR
    if status.state in (SyncState.OFFLINE, SyncState.ERROR, SyncState.NOT_ENROLLED):
        print(f"keukentafel: {status.message}", file=sys.stderr)
    else:
        print(_("Synced."))
    parts = [
        ngettext("{n} change waiting", "{n} changes waiting", status.waiting).format(
            n=status.waiting
        )
    ]
    if status.kept_on_device:
        parts.append(
            ngettext(
                "{n} change stays on this device (no consent to share)",
                "{n} changes stay on this device (no consent to share)",
                status.kept_on_device,
            ).format(n=status.kept_on_device)
        )
    if status.conflicts:
        parts.append(
            ngettext(
                "{n} conflict to resolve", "{n} conflicts to resolve", status.conflicts
            ).format(n=status.conflicts)
        )
    if status.held_back:
        reasons = ", ".join(sorted({h.reason for h in status.held_back}))
        parts.append(
            ngettext(
                "{n} change held back ({reasons})",
                "{n} changes held back ({reasons})",
                len(status.held_back),
            ).format(n=len(status.held_back), reasons=reasons)
        )
    print("; ".join(parts))
    if status.state is not SyncState.SYNCED:
        return EXIT_ERROR
    return EXIT_CONFLICTS if status.conflicts else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="keukentafel",
        description=_("Keukentafel: kitchen-table MDOs, offline and encrypted."),
    )
    parser.add_argument("--lang", choices=LANGUAGES, help=_("language (default: nl)"))
    parser.add_argument(
        "--store", type=Path, default=None, help=_("case file (default: in the data folder)")
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help=_("start the app"))
    run.add_argument(
        "--web", action="store_true", help=_("serve in the browser on 127.0.0.1, open no window")
    )
    run.add_argument("--port", type=int, help=_("port for --web (default 8550)"))
    run.set_defaults(handler=cmd_run)

    init = sub.add_parser("init", help=_("set up the encrypted case file on this device"))
    init.set_defaults(handler=cmd_init)

    seed = sub.add_parser("seed", help=_("add synthetic demo cases"))
    seed.add_argument("--cases", type=int, default=50, help=_("how many (default 50)"))
    seed.add_argument("--seed", type=int, default=2026, help=_("random seed (default 2026)"))
    seed.add_argument("--today", type=_parse_day, help=_("pretend today is this date"))
    seed.set_defaults(handler=cmd_seed)

    overdue = sub.add_parser("overdue", help=_("overdue and due-soon MDOs and agreements"))
    overdue.add_argument("--today", type=_parse_day, help=_("pretend today is this date"))
    overdue.add_argument("--json", action="store_true", help=_("print JSON"))
    overdue.add_argument("--overdue-only", action="store_true", help=_("leave out due soon"))
    overdue.set_defaults(handler=cmd_overdue)

    verify = sub.add_parser("verify", help=_("check a signed plan PDF"))
    verify.add_argument("file", type=Path, help=_("the plan PDF to check"))
    verify.set_defaults(handler=cmd_verify)

    enrol = sub.add_parser("enrol", help=_("link this device to the dossier server"))
    enrol.add_argument("url", help=_("address of the dossier server (https)"))
    enrol.add_argument("code", help=_("one-time code from the administrator"))
    enrol.add_argument("--label", default="", help=_("a name for this device (optional)"))
    enrol.set_defaults(handler=cmd_enrol)

    sync = sub.add_parser("sync", help=_("sync once with the dossier server"))
    sync.set_defaults(handler=cmd_sync)

    passphrase = sub.add_parser(
        "passphrase",
        help=_("change the passphrase or PIN of the case file"),
        description=_(
            "Change the passphrase or PIN of the case file. The current one comes from "
            "KEUKENTAFEL_PASSPHRASE and the new one from KEUKENTAFEL_NEW_PASSPHRASE when set; "
            "otherwise both are asked for. A wrong current passphrase counts as a failed unlock."
        ),
    )
    passphrase.set_defaults(handler=cmd_passphrase)
    return parser


def cli(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    language = os.environ.get("KEUKENTAFEL_LANG", "nl")
    if "--lang" in argv[:-1]:
        language = argv[argv.index("--lang") + 1]
    if language in LANGUAGES:
        set_language(language)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    args.store = args.store or store_path()
    handler: Callable[[argparse.Namespace], int] = getattr(args, "handler", cmd_run)
    try:
        return handler(args)
    except KeukentafelError as error:
        print(f"keukentafel: {error.message}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:
        if os.environ.get("KEUKENTAFEL_DEBUG") == "1":
            raise
        print(
            "keukentafel: "
            + _(
                "unexpected error ({kind}). Details are hidden because they may contain personal "
                "data; KEUKENTAFEL_DEBUG=1 shows them."
            ).format(kind=type(error).__name__),
            file=sys.stderr,
        )
        return EXIT_UNEXPECTED


if __name__ == "__main__":
    sys.exit(cli())
