"""Tsunagu server: the ASGI app, accounts, sites, meetings and live events."""
