"""The invoke collection: ``inv db.*`` (and the ``dbflow`` console script).

Tasks are thin: each parses its flags, calls one library function and prints what the
library renders. A task imports the library inside its body, so that ``inv --list`` starts
in a fraction of a second. Errors a user can act on are printed as message / detail / hint
with no traceback, and exit with status 1 (2 for a bad flag).
"""

from __future__ import annotations

from invoke.collection import Collection

from dbflow.tasks import adoption, local_db, migrations, quality, seeding, shipping
from dbflow.tasks.output import quiet_broken_pipe

quiet_broken_pipe()

db = Collection("db")
for module in (adoption, local_db, migrations, quality, seeding, shipping):
    for item in module.TASKS:
        db.add_task(item)

ns = Collection()
ns.add_collection(db)
