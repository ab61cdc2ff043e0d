"""Landlock through its three system calls (ctypes; stdlib only, because the sandbox
broker imports this without the aios package).

Written here rather than taken from PyPI: the ``landlock`` package is a 1.0 dev
release that knows neither the TCP rules (ABI 4) nor scopes (ABI 6), and this is
70 lines."""

from __future__ import annotations

import ctypes
import os

__all__ = ["FS_READ", "FS_WRITE", "abi", "restrict"]

_CREATE, _ADD_RULE, _RESTRICT = 444, 445, 446  # the same number on every architecture
_VERSION = 1
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK = 1 << 8, 1 << 9, 1 << 10, 1 << 11
MAKE_SYM, REFER, TRUNCATE, IOCTL_DEV = 1 << 12, 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1 << 0, 1 << 1

# What each ABI version can restrict: everything it knows is denied unless a rule allows it.
_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
FS_READ = READ_FILE | READ_DIR
FS_WRITE = (WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | MAKE_FIFO | MAKE_SYM) | (
    MAKE_SOCK | REFER | TRUNCATE
)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _check(ret: int, what: str) -> int:
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"landlock {what}: {os.strerror(err)}")
    return ret


def abi() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is unavailable."""
    ret = _libc.syscall(_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(_VERSION))
    return max(0, int(ret))


def _fs_mask(version: int) -> int:
    return next(m for v, m in sorted(_FS_BY_ABI.items(), reverse=True) if version >= v)


def restrict(rules: list[tuple[str, int]], *, deny_tcp: bool) -> int:
    """Confine this thread (and what it executes) to ``rules``: (path, access bits)
    pairs. TCP bind and connect are denied when ``deny_tcp`` (ABI 4), abstract unix
    sockets and signals reach only this domain (ABI 6). Needs no_new_privs first.
    Returns the ABI version used."""
    version = abi()
    if version < 1:
        raise OSError("Landlock is not available in this kernel")
    fs = _fs_mask(version)
    attr = _RulesetAttr(fs=fs, net=0, scoped=0)
    size = 8
    if version >= 4:
        size = 16
        if deny_tcp:
            attr.net = NET_BIND_TCP | NET_CONNECT_TCP
    if version >= 6:
        size = 24
        attr.scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL
    fd = _check(
        _libc.syscall(_CREATE, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)),
        "create_ruleset",
    )
    try:
        for path, access in rules:
            try:
                pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                if not os.path.isdir(path):  # directory rights on a file are EINVAL
                    access &= READ_FILE | WRITE_FILE | EXECUTE | TRUNCATE | IOCTL_DEV
                rule = _PathBeneath(allowed=access & fs, parent_fd=pfd)
                _check(
                    _libc.syscall(
                        _ADD_RULE,
                        ctypes.c_int(fd),
                        ctypes.c_int(_RULE_PATH_BENEATH),
                        ctypes.byref(rule),
                        ctypes.c_uint32(0),
                    ),
                    f"add_rule {path}",
                )
            finally:
                os.close(pfd)
        _check(_libc.syscall(_RESTRICT, ctypes.c_int(fd), ctypes.c_uint32(0)), "restrict_self")
    finally:
        os.close(fd)
    return version
