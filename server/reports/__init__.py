"""The team-lead reports (issue #6): the read model's upkeep, team scoping, and the figures.

- ``projection``: keeps the typed ``report_*`` tables in step with the dossier;
- ``scope``: which cases a team lead's reports cover (the rule of ``server/authorisation.py``);
- ``overdue``: overdue and due-soon MDOs and agreements (``sync.team_protocol.OverdueReport``);
- ``monitoring``: the figures of a period (``sync.team_protocol.MonitoringFigures``).
"""
