"""``inv db.validate``: a migration linter on PostgreSQL's own parser, with a schema model."""
