"""The partner organisations a new device starts with: the Ruwaard (Oss) partners of our brief.

This is configuration, not code: the list is stored on the device, editable in the settings, and a
team adds the partners it works with. Ids are stable slugs so sync and reports can refer to them.
"""

from __future__ import annotations

from models.domain import Organisation

DEFAULT_ORGANISATIONS: tuple[Organisation, ...] = tuple(
    Organisation(id=slug, name=name)
    for slug, name in (
        ("brabantzorg", "BrabantZorg"),
        ("brabantwonen", "BrabantWonen"),
        ("ggd", "GGD Hart voor Brabant"),
        ("ggz-oost-brabant", "GGZ Oost Brabant"),
        ("interzorg", "Interzorg"),
        ("ons-welzijn", "ONS Welzijn"),
        ("pantein", "Pantein"),
        ("unik", "UniK"),
        ("jij", "JIJ!"),
        ("sport-educatie-centrum", "Sport Educatie Centrum"),
        ("gemeente-oss", "Gemeente Oss"),
    )
)
