from dbflow.tasks import ns  # noqa: F401  (the `inv db.*` collection)
