"""The shared dossier server: accounts, devices, sync and the audit log (a second program).

Start it with ``python -m server`` (see server/README.md). It imports ``sync.protocol`` for the
wire format and never ``ui/``.
"""
