"""API tokens: the admin token and one token per process.

A process token carries exactly its process's capabilities. Tokens are kept only
as sha256 digests and looked up by digest, so no comparison ever runs over the
secret itself; the admin token is compared in constant time. A process token dies
with its process.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["TokenTable"]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenTable:
    def __init__(self, admin_token: str | None = None) -> None:
        self._admin = _digest(admin_token) if admin_token else None
        self._by_digest: dict[str, int] = {}
        self._by_pid: dict[int, str] = {}

    def set_admin(self, token: str) -> None:
        self._admin = _digest(token)

    def is_admin(self, token: str) -> bool:
        return self._admin is not None and hmac.compare_digest(_digest(token), self._admin)

    def issue(self, pid: int) -> str:
        """A new token for ``pid`` (an earlier one stops working)."""
        self.revoke(pid)
        token = "aios_p_" + secrets.token_urlsafe(32)
        digest = _digest(token)
        self._by_digest[digest] = pid
        self._by_pid[pid] = digest
        return token

    def pid_of(self, token: str) -> int | None:
        return self._by_digest.get(_digest(token))

    def revoke(self, pid: int) -> None:
        digest = self._by_pid.pop(pid, None)
        if digest is not None:
            self._by_digest.pop(digest, None)
