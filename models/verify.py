"""Check a plan PDF on its own: is it exactly what was signed, and do the signatures hold?

Why from the PDF alone: the resident takes the paper (or the file) home, and a dispute may come
years later, on another computer, without the tablet. ``models.plan_pdf`` embeds the evidence
(``keukentafel-plan.json``: plan, hash, signature records with drawn PNGs and device public key),
and this module

1. re-canonicalises the embedded plan (RFC 8785, NFC) and recomputes its SHA-256;
2. checks that hash against the hash embedded beside it and against every signature record;
3. checks each signature: the Ed25519 device signature over the record, the PNG's SHA-256, that
   the signer took part in the plan, that the resident signed first;
4. extracts the visible text (pypdf) and checks that every signed text is printed, in order, so a
   paper whose printed words were changed fails even when the embedded data is intact.

Limits (say them, do not hide them): the device key travels inside the PDF, so a valid result
proves that the file is unchanged since a device signed it, not *which* device. The report prints
the key fingerprint; compare it with the dossier's device list (``GET /devices``, each tablet's
``signing_key_fingerprint``) or the tablet's Settings. Extra printed text between the signed texts
is not flagged. Exit codes of ``run_verify_cli``: 0 valid, 1 invalid or tampered, 2 unreadable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import re
import sys
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from pathlib import Path
from typing import Any, Final, TextIO

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from models.domain import ParticipantRole
from models.i18n import N_, _, current_language
from models.plan import Plan, canonical_bytes, check_code, plan_from_json
from models.plan_pdf import (
    EVIDENCE_FILENAME,
    EVIDENCE_FORMAT,
    EVIDENCE_FORMAT_PREFIX,
    displayable,
    format_moment,
    role_label,
    visible_texts,
)
from models.signing import (
    NewerFormatError,
    Signature,
    SignatureProblem,
    SignatureRecord,
    Witness,
    key_fingerprint,
    signature_problems,
)

MAX_PDF_BYTES: Final = 50_000_000
_WHITESPACE: Final = re.compile(r"\s+")


class VerifyOutcome(IntEnum):
    """Also the CLI's exit code."""

    VALID = 0
    INVALID = 1
    UNREADABLE = 2


@dataclass(frozen=True, slots=True)
class SignerReport:
    name: str = field(repr=False)
    role: str
    signed_at: datetime
    device_id: str
    key_fingerprint: str  # first 16 hex digits of SHA-256 of the device public key
    problems: tuple[str, ...] = ()  # sentences in the current language; empty: this one holds
    witness: Witness | None = field(default=None, repr=False)  # None: signed before witnesses

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class VerifyReport:
    outcome: VerifyOutcome
    problems: tuple[str, ...] = ()  # about the whole paper
    plan: Plan | None = field(default=None, repr=False)
    plan_hash: bytes = b""
    signers: tuple[SignerReport, ...] = field(default=(), repr=False)

    @property
    def valid(self) -> bool:
        return self.outcome is VerifyOutcome.VALID

    @property
    def check_code(self) -> str:
        return check_code(self.plan_hash) if self.plan_hash else ""

    @property
    def all_problems(self) -> tuple[str, ...]:
        return self.problems + tuple(p for s in self.signers for p in s.problems)


def _unreadable(problem: str) -> VerifyReport:
    return VerifyReport(VerifyOutcome.UNREADABLE, (problem,))


def verify_pdf(source: Path | str | bytes) -> VerifyReport:
    """Check a plan PDF (a path or its bytes). Never raises for a bad file: the report says why."""
    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
    except OSError:
        return _unreadable(_("The file cannot be opened."))
    if len(data) > MAX_PDF_BYTES:
        return _unreadable(_("This file is too large to be a plan."))
    try:
        reader = PdfReader(io.BytesIO(data))
        attachments = reader.attachments
        names = list(attachments.keys())
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, zlib.error):
        return _unreadable(_("This file is not a readable PDF."))
    if EVIDENCE_FILENAME not in names:
        return _unreadable(_("This PDF does not contain a Keukentafel plan."))
    try:
        embedded = attachments[EVIDENCE_FILENAME][0]
        evidence = json.loads(embedded.decode("utf-8"))
        if evidence["format"] != EVIDENCE_FORMAT:
            if str(evidence["format"]).startswith(EVIDENCE_FORMAT_PREFIX):
                raise NewerFormatError()
            raise ValueError("unknown evidence format")
        plan = plan_from_json(evidence["plan"])
        claimed_hash = bytes.fromhex(evidence["plan_sha256"])
        language = str(evidence["language"])
        signatures = [_signature(s) for s in evidence["signatures"]]
    except NewerFormatError:
        return _unreadable(
            _(
                "This PDF was made by a newer version of Keukentafel. Check it with the newest "
                "version."
            )
        )
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, zlib.error):
        return VerifyReport(
            VerifyOutcome.INVALID,
            (_("The plan data inside this PDF is damaged or was changed."),),
        )
    return _check(reader, plan, claimed_hash, language, signatures)


def _signature(data: Any) -> Signature:
    try:
        image = base64.b64decode(data["image_png"], validate=True)
    except binascii.Error as error:
        raise ValueError("bad image") from error
    return Signature(SignatureRecord.from_json(data), image)


def _check(
    reader: PdfReader,
    plan: Plan,
    claimed_hash: bytes,
    language: str,
    signatures: list[Signature],
) -> VerifyReport:
    problems: list[str] = []
    digest = hashlib.sha256(canonical_bytes(plan)).digest()
    if not hmac.compare_digest(digest, claimed_hash):
        problems.append(
            _("The plan was changed after it was signed: its fingerprint does not match.")
        )
    if not signatures:
        problems.append(_("Nobody signed this plan."))
    elif signatures[0].record.role != ParticipantRole.RESIDENT.value:
        problems.append(_("The resident did not sign first."))
    if language not in ("nl", "en"):
        language = "nl"
    try:
        printed = "".join(page.extract_text() for page in reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, zlib.error):
        printed = ""
    missing = _missing_texts(printed, visible_texts(plan, signatures, language))
    if missing:
        problems.append(
            _("The printed text differs from the signed plan ({count} places).").format(
                count=missing
            )
        )
    signers = tuple(_check_signer(plan, digest, s, language) for s in signatures)
    valid = not problems and all(s.valid for s in signers)
    return VerifyReport(
        VerifyOutcome.VALID if valid else VerifyOutcome.INVALID,
        tuple(problems),
        plan,
        digest,
        signers,
    )


def _squash(text: str) -> str:
    return _WHITESPACE.sub("", displayable(text))


def _missing_texts(printed: str, expected: list[str]) -> int:
    """How many expected texts are not found, in order, in the printed text (whitespace ignored)."""
    haystack = _WHITESPACE.sub("", printed)
    position, missing = 0, 0
    for text in expected:
        needle = _squash(text)
        found = haystack.find(needle, position)
        if found < 0:
            missing += 1
        else:
            position = found + len(needle)
    return missing


_SIGNATURE_PROBLEMS: Final = {
    SignatureProblem.PLAN_CHANGED: N_("This signature belongs to another version of the plan."),
    SignatureProblem.IMAGE_CHANGED: N_("The signature drawing was changed."),
    SignatureProblem.BAD_SIGNATURE: N_("The device's seal on this signature does not match."),
    SignatureProblem.BAD_KEY: N_("The device key of this signature is damaged."),
}


def _check_signer(plan: Plan, digest: bytes, s: Signature, language: str) -> SignerReport:
    record = s.record
    problems = [
        _(_SIGNATURE_PROBLEMS[p])
        for p in signature_problems(record, digest, s.image, record.public_key)
    ]
    signer = plan.participant(record.signer_id)
    if signer is None or signer.name != record.signer_name:
        problems.append(_("This person is not one of the participants of the plan."))
    if record.plan_version != plan.version or record.case_id != plan.case_id:
        problems.append(_("This signature belongs to another version of the plan."))
    return SignerReport(
        name=record.signer_name,
        role=record.role,
        signed_at=record.signed_at,
        device_id=record.device_id,
        key_fingerprint=key_fingerprint(record.public_key),
        problems=tuple(dict.fromkeys(problems)),
        witness=record.witness,
    )


def format_report(report: VerifyReport, language: str) -> str:
    """The report as lines of text for a terminal, in the current language."""
    lines: list[str] = []
    if report.outcome is VerifyOutcome.VALID:
        lines.append(_("VALID: this plan is exactly what was signed, and every signature holds."))
    elif report.outcome is VerifyOutcome.INVALID:
        lines.append(_("NOT VALID: this plan or its signatures were changed."))
    else:
        lines.append(_("CANNOT CHECK: this file cannot be read as a plan."))
    lines += [f"  - {p}" for p in report.problems]
    if report.plan is not None:
        lines.append(
            _("Plan version {version}, check code {code}").format(
                version=report.plan.version, code=report.check_code
            )
        )
        lines.append(_("Fingerprint (SHA-256): {hash}").format(hash=report.plan_hash.hex()))
    for s in report.signers:
        mark = _("holds") if s.valid else _("does NOT hold")
        lines.append(
            _("Signed by {name} ({role}) on {moment}: {verdict}").format(
                name=s.name,
                role=role_label(s.role),
                moment=format_moment(s.signed_at, language),
                verdict=mark,
            )
        )
        lines += [f"  - {p}" for p in s.problems]
        if s.witness is not None:
            who = ", ".join(
                t for t in (s.witness.name, s.witness.role, s.witness.organisation) if t
            )
            lines.append("    " + _("witnessed by {who}").format(who=who))
        else:
            lines.append("    " + _("no witness recorded (signature format 1)"))
        lines.append(
            "    "
            + _("device {device}, key {key}").format(device=s.device_id, key=s.key_fingerprint)
        )
    return "\n".join(lines)


def run_verify_cli(path: Path | str, *, out: TextIO | None = None) -> int:
    """``keukentafel verify FILE``: print the report; exit 0 valid, 1 invalid, 2 unreadable."""
    report = verify_pdf(Path(path))
    print(format_report(report, current_language()), file=out or sys.stdout)
    return int(report.outcome)
