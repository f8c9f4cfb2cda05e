"""The one SQL front end: PostgreSQL's own parser (pglast), with 1-based line:column."""
