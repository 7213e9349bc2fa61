"""Benchmark 4: the plan PDF (10 agreements, 4 signatures) and verifying it.

- Build: ``plan_pdf.build_plan_pdf`` against a bare reportlab document that draws the same plan
  texts in built-in Helvetica (no embedded font, no signature images, no embedded evidence), so
  the ratio is what our layout, font embedding and evidence cost. Goal: <= 200 ms, <= 300 KB.
- Verify: ``verify.verify_pdf`` against plain pypdf text extraction of the same file, the least any
  check of the printed text must do. Goal: <= 50 ms per PDF.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from bench.support import NOW, PASSPHRASE, median_seconds
from models import plan_pdf, verify
from models.crypto.kdf import default_params
from models.store import CaseStore
from tests.support.signatures import a_plan_case_file, sign_all


def _bare_pdf(texts: list[str]) -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    y = 800.0
    for text in texts:
        page.drawString(50, y, text[:100])
        y -= 16
        if y < 50:
            page.showPage()
            y = 800.0
    page.save()
    return out.getvalue()


def _extract(pdf: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def run() -> list[dict[str, Any]]:
    previous = keyring.get_keyring()
    # The bench needs no OS key store (keyring's backends are untyped).
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            store = CaseStore.create(
                Path(tmp) / "pdf.db", PASSPHRASE, now=NOW, kdf_params=default_params()
            )
            signed = sign_all(store, a_plan_case_file(agreements=10))
            store.close()
    finally:
        keyring.set_keyring(previous)
    texts = plan_pdf.visible_texts(signed.plan, signed.signatures, "nl")
    pdf = plan_pdf.build_plan_pdf(signed, language="nl")
    build = median_seconds(lambda: plan_pdf.build_plan_pdf(signed, language="nl"), repeat=15)
    bare = median_seconds(lambda: _bare_pdf(texts), repeat=15)
    check = median_seconds(lambda: verify.verify_pdf(pdf), repeat=15)
    extract = median_seconds(lambda: _extract(pdf), repeat=15)
    assert verify.verify_pdf(pdf).valid
    return [
        {
            "benchmark": f"plan PDF: build (10 agreements, 4 signatures, {len(pdf) // 1024} KiB)",
            "ours_ms": build * 1000,
            "baseline_ms": bare * 1000,
            "ratio": build / bare,
            "goal": "<= 200 ms, <= 300 KB",
        },
        {
            "benchmark": "plan PDF: verify one file",
            "ours_ms": check * 1000,
            "baseline_ms": extract * 1000,
            "ratio": check / extract,
            "goal": "<= 50 ms",
        },
    ]
