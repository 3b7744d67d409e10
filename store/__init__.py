"""The one package that owns SQLite: connection, migrations, queries and the audit log.

Workflows receive an open ``Store`` and call the functions of its modules; nothing outside
this package imports ``sqlite3`` or ``sqlite_utils``.
"""

from store.db import Store, open_store

__all__ = ["Store", "open_store"]
