"""The process-wide lock around Alembic migrations, shared by the core and MLflow's users.

Alembic keeps its migration context in module globals, so two migrations in one process must
never interleave: the core's (`core.migrations.upgrade`), or MLflow's when it first opens a
SQLite store (MLflow migrates its own schema with Alembic). Whoever may trigger one holds it.
"""

from __future__ import annotations

import threading

ALEMBIC_LOCK = threading.RLock()
