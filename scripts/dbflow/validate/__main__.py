"""``python -m dbflow.validate``: the same as the dbflow-validate command."""

from dbflow.validate.cli import main

main()
