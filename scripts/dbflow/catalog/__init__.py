"""Introspection of a live database: what the migrations built (shared by seed, diff, types)."""
