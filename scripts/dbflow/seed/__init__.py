"""Synthetic data from the live schema: realistic for development, exact for tests."""
