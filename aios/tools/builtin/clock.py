"""The current date and time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from langchain_core.tools import tool

__all__ = ["current_time"]


@tool
def current_time(timezone: str = "UTC") -> str:
    """The current date and time in a timezone (IANA name, e.g. "Europe/Paris"), ISO 8601."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {timezone!r}") from None
    return datetime.now(zone).isoformat(timespec="seconds")
