"""What can go wrong talking to the dossier server, as errors with a message for the user.

    SyncError                  base (a ``KeukentafelError``: ``message`` is for the screen)
    ├── InsecureServerError    plain http to anything but this computer: refused before sending
    ├── OfflineError           no connection, a timeout, or the answer was lost on the way
    ├── DeviceRevokedError     401 ``device_revoked`` (``wipe: true``): wipe the local store
    ├── LoginNeededError       the server no longer accepts this device's login
    ├── EnrolmentCodeError     the one-time code is unknown, used or expired
    ├── EnrolledNotLoggedInError  enrolled (the code is spent), but the login after it failed
    ├── NotEnrolledError       no enrolment in this store yet
    └── ServerError            any other refusal; ``code`` is the server's code

``code`` is the server's error code (or a local one); messages never contain personal data.
"""

from __future__ import annotations

from models.errors import KeukentafelError
from models.i18n import _, ngettext


class SyncError(KeukentafelError):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class InsecureServerError(SyncError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "Use an https address for the dossier server. Plain http is only allowed to "
                "this computer itself."
            ),
            "insecure_url",
        )


class OfflineError(SyncError):
    def __init__(self) -> None:
        super().__init__(
            _("The dossier server cannot be reached. Your changes stay on this device."),
            "offline",
        )


class DeviceRevokedError(SyncError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "This device was blocked by the administrator (for example because it was "
                "reported lost). Its case file has been removed from it."
            ),
            "device_revoked",
        )


class LoginNeededError(SyncError):
    def __init__(self, code: str) -> None:
        super().__init__(
            _("The dossier server did not accept the login. Log in again with your password."),
            code,
        )


class EnrolmentCodeError(SyncError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "This code is unknown, already used or expired. "
                "Ask the administrator for a new one."
            ),
            "invalid_enrolment_code",
        )


class EnrolledNotLoggedInError(SyncError):
    """The device is enrolled and its credential kept, but the login right after failed."""

    def __init__(self, cause: SyncError) -> None:
        if isinstance(cause, LoginNeededError):
            what = _(
                "This device is now linked to the dossier server, but the e-mail address or "
                "password was not accepted."
            )
        else:
            what = _("This device is now linked to the dossier server, but logging in failed.") + (
                " " + cause.message
            )
        super().__init__(
            what
            + " "
            + _("The code is used; you do not need a new one. Log in again to start syncing."),
            cause.code,
        )
        self.cause = cause


class NotEnrolledError(SyncError):
    def __init__(self) -> None:
        super().__init__(
            _("This device is not linked to a dossier server yet. Use: enrol URL CODE"),
            "not_enrolled",
        )


class ServerError(SyncError):
    def __init__(self, code: str) -> None:
        super().__init__(
            _("The dossier server refused the request ({code}).").format(code=code), code
        )


class TooManyAttemptsError(SyncError):
    """429: the server limits logins, enrolments and token renewals per device and per account."""

    def __init__(self, retry_after_seconds: int) -> None:
        minutes = max(1, -(-retry_after_seconds // 60))  # whole minutes, rounded up
        super().__init__(
            ngettext(
                "Too many attempts. Wait {n} minute and try again.",
                "Too many attempts. Wait {n} minutes and try again.",
                minutes,
            ).format(n=minutes),
            "too_many_requests",
        )
        self.retry_after_seconds = retry_after_seconds
