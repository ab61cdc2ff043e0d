"""Attacks on LSFS: hostile processes limited to folders, and files, symlinks and hard
links made outside aios in the mount root.

Each test is one attack. A refusal must be an AiosError of the right class; no
answer may carry the secret, and no error message a server path (mount root or
data dir).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from aios.config import Config
from aios.errors import AiosError, BadRequest, Conflict, NotFound, PermissionDenied
from aios.fs.embed import Embedder
from aios.fs.models import FileRow, VersionRow
from aios.kernel import ADMIN, Caller, Capabilities, Kernel
from tests.conftest import make_config
from tests.fakes import FakeCore
from tests.fs_helpers import S, idle

SECRET = "TOPSECRET kestrel launch codes 9431"
PUBLIC = "Public notes: the kestrel hovered over the meadow."

# -- helpers -----------------------------------------------------------------------


def quiet_config(tmp_path: Path) -> Config:
    """No monitor: what is on disk is seen only by reconcile, at start."""
    return make_config(
        tmp_path, llm={"cores": [{"kind": "llamacpp", "model": "fake"}]}, fs={"watch": False}
    )


@pytest.fixture
async def quiet(tmp_path: Path, embedder: Embedder) -> AsyncIterator[Kernel]:
    async with Kernel(quiet_config(tmp_path), cores=[FakeCore()], embedder=embedder) as k:
        yield k


async def restarted(k: Kernel, embedder: Embedder) -> Kernel:
    """The same data dir in a new kernel (the caller closes it)."""
    await k.close()
    k2 = Kernel(k.config, cores=[FakeCore()], embedder=embedder)
    await asyncio.wait_for(k2.start(), 120)
    return k2


async def process(
    k: Kernel, read: list[str] | None = None, write: list[str] | None = None
) -> Caller:
    """A running process limited to folders (explicit capabilities: no defaults)."""
    caps = Capabilities(
        syscalls=["fs.*", "llm.*"],
        fs_read=["public"] if read is None else read,
        fs_write=["public"] if write is None else write,
    )
    proc = await k.spawn("sleep", "600", capabilities=caps)
    return Caller(pid=proc.pid, caps=proc.capabilities)


def server_paths(k: Kernel) -> list[str]:
    assert k.fs is not None
    data = k.config.data_dir
    return [str(k.fs.paths.root), str(data), os.path.realpath(data), str(data.parent)]


def assert_clean(k: Kernel, text: str) -> None:
    assert SECRET not in text
    for p in server_paths(k):
        assert p not in text, f"a server path in {text!r}"


async def refused(
    k: Kernel, caller: Caller, name: str, args: dict[str, Any], *classes: type[AiosError]
) -> AiosError:
    with pytest.raises(AiosError) as info:
        await k.syscall(caller, name, args)
    err = info.value
    assert isinstance(err, classes), f"{name} {args}: {type(err).__name__}: {err.message}"
    assert_clean(k, json.dumps(err.to_dict(), default=str))
    return err


async def seed(k: Kernel) -> None:
    await S(k, "fs.write", path="private/secret.txt", content=SECRET)
    await S(k, "fs.write", path="public/readme.txt", content=PUBLIC)
    await S(k, "fs.write", path="public/readme.txt", content=PUBLIC + "\nMore.")


def root(k: Kernel) -> Path:
    assert k.fs is not None
    return k.fs.paths.root


def secret_on_disk(k: Kernel) -> str:
    return (root(k) / "private" / "secret.txt").read_text()


async def settle(k: Kernel) -> None:
    """Wait until the monitor has applied every outside change made before this call."""
    name = f"sentinel-{uuid.uuid4().hex[:8]}.txt"
    (root(k) / name).write_text("sentinel")
    for _ in range(300):
        try:
            await S(k, "fs.stat", path=name)
            return
        except NotFound:
            await asyncio.sleep(0.05)
    raise AssertionError("the monitor did not catch up")


def path_calls(p: str, other: str = "public/readme.txt") -> list[tuple[str, dict[str, Any]]]:
    """Every fs verb that takes a path, with ``p`` in each path argument in turn."""
    return [
        ("fs.read", {"path": p}),
        ("fs.stat", {"path": p}),
        ("fs.ls", {"path": p}),
        ("fs.history", {"path": p}),
        ("fs.diff", {"path": p}),
        ("fs.write", {"path": p, "content": "x"}),
        ("fs.create", {"path": p, "content": "x"}),
        ("fs.append", {"path": p, "content": "x"}),
        ("fs.mkdir", {"path": p}),
        ("fs.delete", {"path": p, "recursive": True}),
        ("fs.lock", {"path": p}),
        ("fs.unlock", {"path": p}),
        ("fs.rollback", {"path": p, "n": 1}),
        ("fs.link", {"path": p}),
        ("fs.summarize", {"path": p}),
        ("fs.change_summary", {"path": p}),
        ("fs.mv", {"src": p, "dst": "public/moved.txt"}),
        ("fs.mv", {"src": other, "dst": p}),
        ("fs.join", {"a": p, "b": other, "dst": "public/joined.txt"}),
        ("fs.join", {"a": other, "b": other, "dst": p}),
        ("fs.retrieve", {"query": "kestrel", "prefix": p}),
        ("fs.group_by", {"query": "kestrel", "folder": p}),
        ("fs.group_by", {"query": "kestrel", "folder": "public/g", "prefix": p}),
    ]


async def all_refused(
    k: Kernel, caller: Caller, paths: list[str], *classes: type[AiosError]
) -> None:
    for p in paths:
        for name, args in path_calls(p):
            await refused(k, caller, name, args, *classes)
    assert secret_on_disk(k) == SECRET
    assert (await S(k, "fs.read", path="private/secret.txt")).text == SECRET


async def read_refused(k: Kernel, caller: Caller, path: str) -> None:
    for name in ("fs.read", "fs.stat", "fs.history", "fs.diff", "fs.link", "fs.summarize"):
        await refused(k, caller, name, {"path": path}, NotFound, PermissionDenied)


def assert_hits_clean(k: Kernel, hits: list[dict[str, Any]], scope: str = "public") -> None:
    for h in hits:
        assert h["path"].startswith(scope + "/"), h["path"]
        assert_clean(k, json.dumps(h))


# -- traversal and odd names ---------------------------------------------------------


async def test_dotdot_traversal_refused_on_every_path_verb(k: Kernel) -> None:
    await seed(k)
    caller = await process(k)
    bad = [
        "../private/secret.txt",
        "public/../private/secret.txt",
        "public/../../etc/passwd",
        "./../x",
        "public/./../private",
    ]
    await all_refused(k, caller, bad, PermissionDenied, BadRequest)


async def test_percent_encoded_dotdot_is_a_literal_name(k: Kernel) -> None:
    await seed(k)
    caller = await process(k)
    for p in ["public/%2e%2e/%2e%2e/private/secret.txt", "public/..%2f..%2fprivate%2fsecret.txt"]:
        info = await k.syscall(caller, "fs.write", {"path": p, "content": "literal"})
        assert info.path == p  # a name like any other, inside public
        assert (root(k) / p).read_text() == "literal"
        assert (await k.syscall(caller, "fs.read", {"path": p})).text == "literal"
    await refused(k, caller, "fs.read", {"path": "%2e%2e/private/secret.txt"}, PermissionDenied)
    await refused(k, caller, "fs.read", {"path": "public%2f..%2fprivate"}, PermissionDenied)
    assert secret_on_disk(k) == SECRET


async def test_absolute_paths_cannot_leave_the_scope(k: Kernel) -> None:
    await seed(k)
    caller = await process(k)
    r = str(root(k))
    bad = [
        "/etc/passwd",
        "/private/secret.txt",
        f"{r}/private/secret.txt",  # inside the mount, outside the scope
        f"{r}/public/../private/secret.txt",
        f"{r}-other/public/x.txt",  # a sibling that shares the root's prefix
        "//private/secret.txt",
    ]
    for p in bad:
        for name, args in path_calls(p)[:13]:  # the single-path verbs
            err = await refused(k, caller, name, args, PermissionDenied, BadRequest)
            assert r not in err.message
    assert secret_on_disk(k) == SECRET


async def test_backslash_nul_and_control_characters_refused(k: Kernel) -> None:
    await seed(k)
    caller = await process(k)
    bad = ["public\\..\\private\\secret.txt", "public/a\x00b", "public/a\nb", "public/\x1b[2J"]
    await all_refused(k, caller, bad, BadRequest)


async def test_overlong_name_is_bad_request_without_server_path(k: Kernel) -> None:
    await seed(k)
    caller = await process(k)
    long_names = ["public/" + "a" * 300, "public/" + "é" * 128, "public/" + "a" * 256 + "/x.txt"]
    for p in long_names:
        for name, args in path_calls(p):
            err = await refused(k, caller, name, args, BadRequest)
            assert "255" in err.message or "invalid arguments" in err.message
    assert not any(len(n.encode()) > 255 for n in os.listdir(root(k) / "public"))


async def test_overlong_and_deep_paths_are_bad_requests(k: Kernel) -> None:
    await seed(k)
    caller = await process(k)
    deep = "public/" + "d/" * 40 + "x.txt"
    wide = "public/" + "/".join(["\U0001d538" * 62] * 16)  # 1015 characters, ~4000 bytes
    over = "public/" + "a" * 1100
    for p in (deep, wide, over):
        for name in ("fs.write", "fs.mkdir", "fs.read", "fs.ls"):
            args = {"path": p, "content": "x"} if name == "fs.write" else {"path": p}
            await refused(k, caller, name, args, BadRequest)
    assert sorted(os.listdir(root(k) / "public")) == ["readme.txt"]


async def test_lone_surrogates_are_bad_requests_in_every_string_field(k: Kernel) -> None:
    await seed(k)
    caller = await process(k)
    s = "\ud800"
    calls = [
        *path_calls(f"public/a{s}b"),
        ("fs.write", {"path": "public/s.txt", "content": f"text {s} text"}),
        ("fs.create", {"path": "public/s.txt", "content": s}),
        ("fs.append", {"path": "public/readme.txt", "content": s}),
        ("fs.write", {"path": "public/s.txt", "content_b64": s}),
        ("fs.retrieve", {"query": f"kestrel {s}"}),
        ("fs.retrieve", {"query": s, "mode": "keyword"}),
        ("fs.group_by", {"query": s, "folder": "public/g"}),
        ("fs.join", {"a": "public/readme.txt", "b": "public/readme.txt", "dst": "public/j"}),
    ]
    calls[-1][1]["separator"] = s
    for who in (caller, ADMIN):
        for name, args in calls:
            await refused(k, who, name, args, BadRequest)
    assert sorted(os.listdir(root(k) / "public")) == ["readme.txt"]
    assert (await S(k, "fs.read", path="public/readme.txt")).text == PUBLIC + "\nMore."


async def test_names_on_disk_that_are_not_utf8_are_skipped_not_fatal(
    k: Kernel, embedder: Embedder
) -> None:
    await seed(k)
    public = os.fsencode(root(k) / "public")
    with open(public + b"/bad\xff\xfe.txt", "wb") as f:
        f.write(b"not a UTF-8 name")
    (root(k) / "public" / "fine.txt").write_text("written beside it")
    # watchfiles gives up on such a name; the monitor restarts and rescans the mount
    await settle(k)
    assert (await S(k, "fs.read", path="public/fine.txt")).text == "written beside it"
    k2 = await restarted(k, embedder)  # and reconcile at start skips it too
    try:
        names = [e.path for e in (await S(k2, "fs.ls", path="public")).entries]
        assert "public/fine.txt" in names and all("bad" not in n for n in names)
    finally:
        await k2.close()


# -- symlinks made outside aios --------------------------------------------------------


async def test_symlink_to_private_folder_not_readable(
    k: Kernel, caplog: pytest.LogCaptureFixture
) -> None:
    await seed(k)
    await idle(k)
    caller = await process(k)
    caplog.set_level(logging.WARNING, logger="aios.fs")
    os.symlink("../private", root(k) / "public" / "in_dir")
    for i in range(4):  # events flow, in several batches
        (root(k) / "private" / "secret.txt").write_text(SECRET + " (edited)" * (i + 1))
        await asyncio.sleep(0.3)
    (root(k) / "private" / "secret.txt").write_text(SECRET + " (edited)")
    await settle(k)
    await read_refused(k, caller, "public/in_dir/secret.txt")
    await refused(k, caller, "fs.ls", {"path": "public/in_dir"}, NotFound, PermissionDenied)
    listed = (await k.syscall(caller, "fs.ls", {"path": "public", "recursive": True})).entries
    assert [e.path for e in listed] == ["public/readme.txt"]
    # the outside edit of the real file is recorded where it really is
    assert (await S(k, "fs.read", path="private/secret.txt")).text == SECRET + " (edited)"
    said = [m for r in caplog.records if "public/in_dir" in (m := r.getMessage())]
    assert len(said) == 1 and "symlink" in said[0], said  # once, not once per event


async def test_symlink_to_private_folder_not_writable(quiet: Kernel, embedder: Embedder) -> None:
    k = quiet
    await seed(k)
    caller = await process(k)
    os.symlink("../private", root(k) / "public" / "in_dir")
    for p in ("public/in_dir/secret.txt", "public/in_dir/new.txt", "public/in_dir/sub/x.txt"):
        for name in ("fs.write", "fs.create", "fs.append"):
            await refused(k, caller, name, {"path": p, "content": "PWNED"}, PermissionDenied)
    await refused(k, caller, "fs.mkdir", {"path": "public/in_dir/sub"}, PermissionDenied)
    await refused(
        k, caller, "fs.mv", {"src": "public/readme.txt", "dst": "public/in_dir/x"}, PermissionDenied
    )
    assert secret_on_disk(k) == SECRET
    assert sorted(os.listdir(root(k) / "private")) == ["secret.txt"]
    k2 = await restarted(k, embedder)
    try:  # nothing was recorded, so a restart has nothing to re-apply
        assert secret_on_disk(k2) == SECRET
        assert len((await S(k2, "fs.history", path="private/secret.txt")).versions) == 1
        await read_refused(k2, await process(k2), "public/in_dir/secret.txt")
    finally:
        await k2.close()


async def test_symlink_to_private_folder_not_found_by_search(k: Kernel) -> None:
    await seed(k)
    os.symlink("../private", root(k) / "public" / "in_dir")
    os.symlink("../private/secret.txt", root(k) / "public" / "alias.txt")
    (root(k) / "private" / "secret.txt").write_text(SECRET + " again")
    await settle(k)
    await idle(k)
    caller = await process(k)
    for mode in ("semantic", "keyword", "hybrid"):
        for unit in ("file", "chunk"):
            args = {"query": "kestrel launch codes", "mode": mode, "unit": unit, "top_k": 50}
            hits = (await k.syscall(caller, "fs.retrieve", args)).hits
            assert_hits_clean(k, hits)
            assert all(h["path"] == "public/readme.txt" for h in hits)


async def test_symlinks_are_not_adopted_on_restart(
    quiet: Kernel, embedder: Embedder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    k = quiet
    await seed(k)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.txt").write_text(SECRET)
    await k.close()
    pub = root(k) / "public"
    os.symlink("../private", pub / "in_dir")
    os.symlink("../private/secret.txt", pub / "alias.txt")
    os.symlink(outside, pub / "away")
    os.symlink("nowhere", pub / "dangling.txt")
    caplog.set_level(logging.WARNING, logger="aios.fs")
    k2 = await restarted(k, embedder)
    try:
        await idle(k2)
        caller = await process(k2)
        for p in ("public/in_dir/secret.txt", "public/alias.txt", "public/away/x.txt"):
            await read_refused(k2, caller, p)
        await refused(k2, caller, "fs.read", {"path": "public/dangling.txt"}, NotFound)
        ls = (await k2.syscall(caller, "fs.ls", {"path": "public", "recursive": True})).entries
        assert [e.path for e in ls] == ["public/readme.txt"]
        hits = (await k2.syscall(caller, "fs.retrieve", {"query": "launch codes"})).hits
        assert_hits_clean(k2, hits)
        for link in ("public/in_dir", "public/alias.txt", "public/away", "public/dangling.txt"):
            said = [m for r in caplog.records if link in (m := r.getMessage()) and "symlink" in m]
            assert len(said) == 1, (link, said)  # once per pass
        assert str(outside) not in caplog.text  # where links point is not logged either
    finally:
        await k2.close()


async def test_symlinked_file_not_adopted_by_the_monitor(
    k: Kernel, caplog: pytest.LogCaptureFixture
) -> None:
    await seed(k)
    caller = await process(k)
    caplog.set_level(logging.WARNING, logger="aios.fs")
    link = root(k) / "public" / "link.txt"
    os.symlink("../private/secret.txt", link)
    for i in range(5):  # a flood of events on the link itself
        os.utime(link, (i, i), follow_symlinks=False)
        await asyncio.sleep(0.3)
    await settle(k)
    await read_refused(k, caller, "public/link.txt")
    with pytest.raises(NotFound):
        await S(k, "fs.stat", path="public/link.txt")
    said = [r for r in caplog.records if "public/link.txt" in r.getMessage()]
    assert len(said) == 1, [r.getMessage() for r in said]  # one warning, not one per event


async def test_rows_adopted_through_a_symlink_by_an_older_version_are_dropped(
    quiet: Kernel, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    k = quiet
    await seed(k)
    caller = await process(k)
    # what an older version recorded when a process wrote through public/in_dir
    await k.syscall(caller, "fs.write", {"path": "public/in_dir/secret.txt", "content": "PWNED"})
    await k.close()
    shutil.rmtree(root(k) / "public" / "in_dir")
    os.symlink("../private", root(k) / "public" / "in_dir")
    caplog.set_level(logging.WARNING, logger="aios.fs")
    k2 = await restarted(k, embedder)
    try:
        await idle(k2)
        assert secret_on_disk(k2) == SECRET  # not "restored" through the link
        assert "public/in_dir/secret.txt" in caplog.text and "dropped" in caplog.text
        assert (await S(k2, "fs.read", path="private/secret.txt")).text == SECRET
        for p in ("public/in_dir/secret.txt", "public/in_dir"):
            with pytest.raises(NotFound):
                await S(k2, "fs.stat", path=p)
        await read_refused(k2, await process(k2), "public/in_dir/secret.txt")
        assert k2.fs is not None
        with k2.fs.sessions() as s:  # out of the live tree, history kept
            row = s.scalars(select(FileRow).where(FileRow.path == "public/in_dir/secret.txt")).one()
            assert row.deleted
            assert s.scalars(select(VersionRow).where(VersionRow.file_id == row.id)).all()
    finally:
        await k2.close()


# -- hard links, FIFOs -------------------------------------------------------------------


async def test_hard_link_into_private_folder_not_adopted_on_restart(
    quiet: Kernel, embedder: Embedder
) -> None:
    k = quiet
    await seed(k)
    await k.close()
    os.link(root(k) / "private" / "secret.txt", root(k) / "public" / "h.txt")
    k2 = await restarted(k, embedder)
    try:
        await idle(k2)
        caller = await process(k2)
        await read_refused(k2, caller, "public/h.txt")
        hits = (await k2.syscall(caller, "fs.retrieve", {"query": "launch codes"})).hits
        assert_hits_clean(k2, hits)
    finally:
        await k2.close()


async def test_hard_link_into_private_folder_not_adopted_by_the_monitor(k: Kernel) -> None:
    await seed(k)
    caller = await process(k)
    os.link(root(k) / "private" / "secret.txt", root(k) / "public" / "h.txt")
    await settle(k)
    await read_refused(k, caller, "public/h.txt")
    ls = (await k.syscall(caller, "fs.ls", {"path": "public"})).entries
    assert [e.path for e in ls] == ["public/readme.txt"]


async def test_write_to_a_hard_linked_name_leaves_the_other_file_alone(k: Kernel) -> None:
    await seed(k)
    caller = await process(k)
    os.link(root(k) / "private" / "secret.txt", root(k) / "public" / "h.txt")
    await settle(k)
    await k.syscall(caller, "fs.write", {"path": "public/h.txt", "content": "overwritten"})
    await k.syscall(caller, "fs.append", {"path": "public/h.txt", "content": " more"})
    assert secret_on_disk(k) == SECRET  # the rename replaced the name, not the inode
    assert (root(k) / "public" / "h.txt").read_text() == "overwritten more"
    assert os.stat(root(k) / "private" / "secret.txt").st_nlink == 1
    await settle(k)
    assert (await S(k, "fs.read", path="private/secret.txt")).text == SECRET
    assert len((await S(k, "fs.history", path="private/secret.txt")).versions) == 1


async def test_hard_link_swapped_in_for_a_public_file_not_adopted(
    quiet: Kernel, embedder: Embedder
) -> None:
    k = quiet
    await seed(k)
    await S(k, "fs.write", path="public/notes.txt", content="harmless")
    await k.close()
    (root(k) / "public" / "notes.txt").unlink()
    os.link(root(k) / "private" / "secret.txt", root(k) / "public" / "notes.txt")
    k2 = await restarted(k, embedder)
    try:
        caller = await process(k2)
        assert (
            await k2.syscall(caller, "fs.read", {"path": "public/notes.txt"})
        ).text == "harmless"
        assert len((await S(k2, "fs.history", path="public/notes.txt")).versions) == 1
        assert secret_on_disk(k2) == SECRET
        assert (root(k2) / "public" / "notes.txt").read_text() == "harmless"  # link broken
        assert os.stat(root(k2) / "private" / "secret.txt").st_nlink == 1
    finally:
        await k2.close()


async def test_rows_adopted_through_a_hard_link_by_an_older_version_are_dropped(
    quiet: Kernel, embedder: Embedder
) -> None:
    k = quiet
    await seed(k)
    assert k.fs is not None
    # what an older version recorded when it adopted public/h.txt, a hard link
    await asyncio.to_thread(
        k.fs.write, "public/h.txt", SECRET.encode(), author="external", op="external"
    )
    await k.close()
    (root(k) / "public" / "h.txt").unlink()
    os.link(root(k) / "private" / "secret.txt", root(k) / "public" / "h.txt")
    k2 = await restarted(k, embedder)
    try:
        await idle(k2)
        await read_refused(k2, await process(k2), "public/h.txt")
        assert secret_on_disk(k2) == SECRET
    finally:
        await k2.close()


async def test_fifo_in_the_mount_does_not_hang_start(quiet: Kernel, embedder: Embedder) -> None:
    k = quiet
    await seed(k)
    await k.close()
    fifo = root(k) / "public" / "pipe"
    os.mkfifo(fifo)
    k2 = Kernel(k.config, cores=[FakeCore()], embedder=embedder)
    try:
        await asyncio.wait_for(k2.start(), 60)
        await read_refused(k2, await process(k2), "public/pipe")
    finally:
        # unblock a reader stuck on the FIFO, so that a failure does not hang the run
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        await k2.close()


# -- existence oracles -----------------------------------------------------------------


async def test_ls_outside_scope_is_one_answer_for_file_folder_and_missing(k: Kernel) -> None:
    await seed(k)
    caller = await process(k)
    answers = set()
    for p in ("private", "private/secret.txt", "private/missing", "nowhere/at/all", "publicx"):
        for recursive in (False, True):
            err = await refused(
                k, caller, "fs.ls", {"path": p, "recursive": recursive}, PermissionDenied
            )
            answers.add((type(err), err.message.replace(repr(p), "<P>")))
    assert len(answers) == 1, answers


async def test_ls_of_an_ancestor_shows_only_the_way_to_readable_folders(k: Kernel) -> None:
    for p in ("public/docs/a.txt", "public/other.txt", "public/hidden/x.txt", "publicity/y.txt"):
        await S(k, "fs.write", path=p, content="x")
    await S(k, "fs.write", path="private/secret.txt", content=SECRET)
    caller = await process(k, read=["public/docs", "zzz/docs"], write=["public/docs"])

    async def ls(path: str, recursive: bool = False) -> list[str]:
        args = {"path": path, "recursive": recursive}
        return [e.path for e in (await k.syscall(caller, "fs.ls", args)).entries]

    assert await ls("") == ["public"]
    assert await ls("", recursive=True) == ["public", "public/docs", "public/docs/a.txt"]
    assert await ls("public") == ["public/docs"]
    assert await ls("public/docs") == ["public/docs/a.txt"]
    assert await ls("zzz") == []  # on the way, missing: no error that would tell
    answers = set()
    for p in ("public/other.txt", "public/hidden", "public/nope", "publicity", "private"):
        err = await refused(k, caller, "fs.ls", {"path": p}, PermissionDenied)
        answers.add(err.message.replace(repr(p), "<P>"))
    assert len(answers) == 1, answers


async def test_no_path_verb_tells_whether_an_outside_path_exists(k: Kernel) -> None:
    await seed(k)
    await S(k, "fs.write", path="private/sub/more.txt", content="more")
    await idle(k)
    caller = await process(k)
    probes = ["private/secret.txt", "private/sub", "private/missing.txt", "nowhere/missing.txt"]
    for i, (name, _) in enumerate(path_calls("x")):
        answers = set()
        for p in probes:
            call_name, args = path_calls(p)[i]
            err = await refused(k, caller, call_name, args, PermissionDenied)
            answers.add((type(err), err.message.replace(repr(p), "<P>")))
        assert len(answers) == 1, (name, answers)
    assert secret_on_disk(k) == SECRET
    assert (await S(k, "fs.read", path="private/secret.txt")).text == SECRET
    for p in ("public/moved.txt", "public/joined.txt", "public/g"):
        with pytest.raises(NotFound):
            await S(k, "fs.stat", path=p)


# -- reads across folders ------------------------------------------------------------------


async def test_cross_folder_reads_through_join_mv_link_history_diff_refused(k: Kernel) -> None:
    await seed(k)
    caller = await process(k)
    sec, pub = "private/secret.txt", "public/readme.txt"
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("fs.join", {"a": sec, "b": pub, "dst": "public/j.txt"}),
        ("fs.join", {"a": pub, "b": sec, "dst": "public/j.txt"}),
        ("fs.join", {"a": pub, "b": pub, "dst": "private/j.txt"}),
        ("fs.mv", {"src": sec, "dst": "public/stolen.txt"}),
        ("fs.mv", {"src": pub, "dst": "private/planted.txt"}),
        ("fs.link", {"path": sec}),
        ("fs.link", {"path": sec, "version": 1}),
        ("fs.history", {"path": sec}),
        ("fs.diff", {"path": sec, "from_version": 1, "to_version": 1}),
        ("fs.read", {"path": sec, "version": 1}),
        ("fs.summarize", {"path": sec}),
        ("fs.change_summary", {"path": sec}),
        ("fs.rollback", {"path": sec, "n": 1}),
    ]
    for name, args in attempts:
        await refused(k, caller, name, args, PermissionDenied)
    for p in ("public/j.txt", "public/stolen.txt", "private/j.txt", "private/planted.txt"):
        with pytest.raises(NotFound):
            await S(k, "fs.stat", path=p)
    assert (await S(k, "fs.read", path=sec)).text == SECRET


async def test_mv_out_of_a_write_only_folder_is_refused(k: Kernel) -> None:
    await seed(k)
    await S(k, "fs.write", path="dropbox/secret.txt", content=SECRET)
    caller = await process(k, read=["public"], write=["public", "dropbox"])
    await refused(k, caller, "fs.read", {"path": "dropbox/secret.txt"}, PermissionDenied)
    for src in ("dropbox/secret.txt", "dropbox"):
        await refused(k, caller, "fs.mv", {"src": src, "dst": "public/stolen"}, PermissionDenied)
    with pytest.raises(NotFound):
        await S(k, "fs.stat", path="public/stolen")
    assert (await S(k, "fs.read", path="dropbox/secret.txt")).text == SECRET


async def test_search_and_group_by_never_return_other_folders(k: Kernel) -> None:
    await seed(k)
    await S(k, "fs.write", path="publicity/leak.txt", content=SECRET)  # a sibling prefix
    await idle(k)
    caller = await process(k)
    for mode in ("semantic", "keyword", "hybrid"):
        for match in ("any", "all"):
            args = {"query": "kestrel launch codes", "mode": mode, "match": match, "top_k": 50}
            assert_hits_clean(k, (await k.syscall(caller, "fs.retrieve", args)).hits)
    for prefix in ("private", "publicity", "private/secret.txt", "nowhere"):
        await refused(
            k, caller, "fs.retrieve", {"query": "kestrel", "prefix": prefix}, PermissionDenied
        )
        args = {"query": "kestrel", "folder": "public/g", "prefix": prefix}
        await refused(k, caller, "fs.group_by", args, PermissionDenied)
    await refused(
        k, caller, "fs.group_by", {"query": "kestrel", "folder": "private/g"}, PermissionDenied
    )
    res = await k.syscall(
        caller, "fs.group_by", {"query": "kestrel launch codes", "folder": "public/g"}
    )
    assert res.sources and all(p.startswith("public/") for p in res.sources)
    for p in res.paths:
        assert SECRET not in (await k.syscall(caller, "fs.read", {"path": p})).text


# -- errors do not name server paths --------------------------------------------------------


async def test_missing_blob_error_does_not_reveal_the_data_dir(k: Kernel) -> None:
    await seed(k)
    caller = await process(k)
    assert k.fs is not None
    info = await S(k, "fs.stat", path="public/readme.txt")
    k.fs.blobs.path(info.sha256).unlink()
    for name, args in [
        ("fs.read", {"path": "public/readme.txt"}),
        ("fs.diff", {"path": "public/readme.txt"}),
        ("fs.join", {"a": "public/readme.txt", "b": "public/readme.txt", "dst": "public/j"}),
        ("fs.summarize", {"path": "public/readme.txt"}),
    ]:
        await refused(k, caller, name, args, AiosError)


async def test_disk_errors_do_not_reveal_the_mount_path(quiet: Kernel) -> None:
    k = quiet
    await seed(k)
    caller = await process(k)
    (root(k) / "public" / "blocker").write_text("made outside aios")  # not yet adopted
    os.mkdir(root(k) / "public" / "adir")
    for name, args in [
        ("fs.write", {"path": "public/blocker/x.txt", "content": "x"}),
        ("fs.mkdir", {"path": "public/blocker/sub"}),
        ("fs.write", {"path": "public/adir", "content": "x"}),
        ("fs.mv", {"src": "public/readme.txt", "dst": "public/blocker/r.txt"}),
    ]:
        await refused(k, caller, name, args, Conflict)
    for p in ("public/blocker/x.txt", "public/blocker/sub", "public/adir"):
        with pytest.raises(NotFound):
            await S(k, "fs.stat", path=p)
    assert (await k.syscall(caller, "fs.read", {"path": "public/readme.txt"})).text
