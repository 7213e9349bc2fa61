"""Plain-Python view-models: the state and actions of each screen, unit-tested without Flet."""
