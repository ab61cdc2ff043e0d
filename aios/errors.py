"""The one error family of aios.

Every failure that reaches a caller (in-process, over HTTP, from the CLI) is an
``AiosError`` with a stable ``code``; the API maps codes to HTTP statuses.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AiosError",
    "BadRequest",
    "Cancelled",
    "ConfigError",
    "Conflict",
    "DeadlineExceeded",
    "ModelError",
    "NotFound",
    "PermissionDenied",
    "TooLarge",
    "Unauthorized",
    "Unavailable",
]


class AiosError(Exception):
    code = "internal"
    status = 500

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AiosError:
        """Rebuild an error sent over the wire (used by the HTTP client)."""
        for sub in _all_subclasses(AiosError):
            if sub.code == data.get("code"):
                err = sub(data.get("message", ""))
                break
        else:
            err = AiosError(data.get("message", ""))
            err.code = str(data.get("code", "internal"))
        err.details = dict(data.get("details") or {})
        return err


def _all_subclasses(cls: type[AiosError]) -> list[type[AiosError]]:
    out: list[type[AiosError]] = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_all_subclasses(sub))
    return out


class BadRequest(AiosError):
    code = "bad_request"
    status = 400


class Unauthorized(AiosError):
    code = "unauthorized"
    status = 401


class PermissionDenied(AiosError):
    code = "permission_denied"
    status = 403


class NotFound(AiosError):
    code = "not_found"
    status = 404


class Conflict(AiosError):
    code = "conflict"
    status = 409


class TooLarge(AiosError):
    code = "too_large"
    status = 413


class Cancelled(AiosError):
    code = "cancelled"
    status = 409


class DeadlineExceeded(AiosError):
    code = "deadline_exceeded"
    status = 504


class Unavailable(AiosError):
    code = "unavailable"
    status = 503


class ConfigError(AiosError):
    code = "config_error"
    status = 500


class ModelError(AiosError):
    """A model file is missing, unreadable or not a model llama.cpp can load."""

    code = "model_error"
    status = 503
