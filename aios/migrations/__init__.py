"""The database's schema, as Alembic migrations, run at start (``migrate``): a new
database is created by them, an older one brought up to date, and one made before
migrations existed (tables, no ``alembic_version``) is taken as the baseline first."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from aios.errors import ConfigError

__all__ = ["BASELINE", "head", "migrate"]

log = logging.getLogger(__name__)

BASELINE = "0001"  # the schema of the last release before migrations
_HERE = Path(__file__).parent
_LOCK = 0x6A105  # a PostgreSQL advisory lock: one daemon migrates at a time


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    return cfg


@cache
def _revisions() -> tuple[str, frozenset[str]]:
    """The newest revision and every one (read once: the files do not change)."""
    script = ScriptDirectory.from_config(_config())
    rev = script.get_current_head()
    assert rev is not None
    return rev, frozenset(r.revision for r in script.walk_revisions())


def head() -> str:
    return _revisions()[0]


def _known() -> frozenset[str]:
    return _revisions()[1]


def _baseline_tables(conn: Connection) -> None:
    from aios.agents.consent import _Base as ConsentBase
    from aios.fs.models import FsBase
    from aios.kernel.store import Base

    for metadata in (Base.metadata, FsBase.metadata, ConsentBase.metadata):
        metadata.create_all(conn, checkfirst=True)


def migrate(engine: Engine) -> str:
    """Bring the database to the newest schema; the revision it is at."""
    cfg = _config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
        current = MigrationContext.configure(conn).get_current_revision()
        cfg.attributes["connection"] = conn
        if current is not None and current not in _known():
            raise ConfigError(
                f"the database is at schema revision {current}, which this aios does not "
                f"know (its newest is {head()}): a newer aios made it; run that one"
            )
        if current is None and inspect(conn).has_table("processes"):
            # Made before migrations: the baseline's tables, those it lacks made now (a
            # database with LSFS off, or a first start cut short, has only some), then
            # taken as the baseline. Safe while no later revision changes those tables.
            log.info("database made before migrations: taken as revision %s", BASELINE)
            _baseline_tables(conn)
            command.stamp(cfg, BASELINE)
        if current != head():
            command.upgrade(cfg, "head")
        return MigrationContext.configure(conn).get_current_revision() or ""
