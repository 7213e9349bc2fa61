"""Tampering with a plan PDF the way a forger would, keeping the PDF itself well-formed."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from pypdf import PdfReader, PdfWriter

from models import plan_pdf


def rewrite_content(pdf: bytes, old: bytes, new: bytes) -> bytes:
    """Change printed text in a page's content stream, as someone editing the PDF would."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for page in writer.pages:
        contents = page.get_contents()
        assert contents is not None
        data = contents.get_data()
        if old in data:
            contents.set_data(data.replace(old, new, 1))
            page.replace_contents(contents)
            out = io.BytesIO()
            writer.write(out)
            return out.getvalue()
    raise AssertionError("text not found in any page")


def rewrite_evidence(pdf: bytes, change: Callable[[bytes], bytes]) -> bytes:
    """Change the embedded plan JSON (keeping the PDF itself well-formed)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    names: Any = writer.root_object["/Names"]["/EmbeddedFiles"]["/Names"]  # type: ignore[index]
    assert names[0] == plan_pdf.EVIDENCE_FILENAME
    stream = names[1].get_object()["/EF"]["/F"].get_object()
    stream.set_data(change(stream.get_data()))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
