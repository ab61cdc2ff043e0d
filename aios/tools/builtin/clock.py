"""The current date and time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from langchain_core.tools import tool

from aios.tools.zones import resolve_zone

__all__ = ["current_time", "resolve_zone"]


@tool
def current_time(timezone: str = "UTC") -> str:
    """What time or date it is now, in a timezone (an IANA name such as "Europe/Paris",
    or a city such as "Tokyo")."""
    name = resolve_zone(timezone)
    if name is None:
        raise ValueError(f"unknown timezone {timezone[:64]!r} (an IANA name or a city)")
    return datetime.now(ZoneInfo(name)).isoformat(timespec="seconds")
