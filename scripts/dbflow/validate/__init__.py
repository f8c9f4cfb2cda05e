"""``inv db.validate``: the validator of migration text, on PostgreSQL's own parser, with a schema
model replayed over the history."""
