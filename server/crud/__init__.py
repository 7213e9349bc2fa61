"""Keyword-only create/read/update functions over a session; routes call these, tests too."""
