"""Alembic's environment: migrations run on the connection ``migrate`` passes in
(never a URL from a file), online only."""

from __future__ import annotations

from alembic import context

from aios.agents.consent import _Base as ConsentBase
from aios.fs.models import FsBase
from aios.kernel.store import Base

target_metadata = [Base.metadata, FsBase.metadata, ConsentBase.metadata]

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("aios migrations run through aios.migrations.migrate(engine)")
context.configure(connection=connection, target_metadata=target_metadata)
with context.begin_transaction():
    context.run_migrations()
