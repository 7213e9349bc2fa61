"""Flet views: thin layers that draw a view-model and forward user actions to it."""
