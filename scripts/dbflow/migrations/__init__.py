"""Migrations: discovery, history, the runner, status, repair, reset."""
