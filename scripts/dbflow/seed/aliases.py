"""Names for what the seeder handles, where Python's type is "any".

A column's value is whatever binary or text COPY takes for the column's type: ``str``,
``int``, ``Decimal``, ``float``, ``bool``, ``datetime``/``date``/``time``/``timedelta``,
``UUID``, ``Jsonb``, a psycopg ``Range``/``Multirange``, a list of those for an array, or
``None``. No one Python type says that, so it has a name of its own.
"""

from __future__ import annotations

from typing import Any

Value = Any  # a column's value, as COPY takes it (see above)
Row = dict[str, Value]  # a row's values by column name
KeyValues = tuple[Value, ...]  # the values of a key's columns, in the key's order
Document = Any  # a JSON document: dict, list, str, int, float, bool or None
