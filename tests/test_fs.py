"""LSFS: storage, versions, paths, retrieval, indexing (real embeddings, chroma; on
SQLite and on PostgreSQL)."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import time
from pathlib import Path
from typing import Any

import pytest

from aios.errors import BadRequest, Conflict, NotFound, PermissionDenied, TooLarge
from aios.kernel import Capabilities, Kernel, ProcessState
from tests.fs_helpers import S, idle, load_corpus, top


@pytest.fixture
def k(k_any_db: Kernel) -> Kernel:
    """Every test here runs on SQLite and on PostgreSQL."""
    return k_any_db


# -- files and versions -----------------------------------------------------------


async def test_files_are_ordinary_files_under_the_mount(k: Kernel) -> None:
    info = await S(k, "fs.create", path="notes/a.txt", content="hello")
    assert info.version == 1 and info.size == 5 and info.kind == "file"
    assert (k.fs.paths.root / "notes" / "a.txt").read_text() == "hello"
    with pytest.raises(Conflict):
        await S(k, "fs.create", path="notes/a.txt", content="again")
    assert (await S(k, "fs.read", path="notes/a.txt")).text == "hello"
    assert (await S(k, "fs.stat", path="notes")).kind == "dir"


async def test_write_append_versions_and_dedup(k: Kernel) -> None:
    await S(k, "fs.write", path="f.txt", content="one\n")
    await S(k, "fs.append", path="f.txt", content="two\n")
    same = await S(k, "fs.write", path="f.txt", content="one\ntwo\n")  # unchanged: no version
    assert same.version == 2
    await S(k, "fs.write", path="f.txt", content="one\n")  # back to v1's content
    hist = (await S(k, "fs.history", path="f.txt")).versions
    assert [v["op"] for v in hist] == ["write", "append", "write"]
    assert hist[0]["sha256"] == hist[2]["sha256"]
    assert len(list(k.fs.blobs.root.rglob("*"))) - len(list(k.fs.blobs.root.glob("*"))) == 2
    assert (await S(k, "fs.read", path="f.txt", version=2)).text == "one\ntwo\n"


async def test_rollback_by_n_and_by_time_is_a_new_version(k: Kernel) -> None:
    await S(k, "fs.write", path="r.txt", content="v1")
    await asyncio.sleep(0.05)
    t_v1 = time.time()
    await asyncio.sleep(0.05)
    await S(k, "fs.write", path="r.txt", content="v2")
    await S(k, "fs.write", path="r.txt", content="v3")
    info = await S(k, "fs.rollback", path="r.txt", n=1)
    assert info.version == 4 and (await S(k, "fs.read", path="r.txt")).text == "v2"
    info = await S(k, "fs.rollback", path="r.txt", at=t_v1)
    assert info.version == 5 and (await S(k, "fs.read", path="r.txt")).text == "v1"
    hist = (await S(k, "fs.history", path="r.txt")).versions
    assert [(v["op"], v["note"]) for v in hist[3:]] == [
        ("rollback", "to v2"),
        ("rollback", "to v1"),
    ]
    with pytest.raises(BadRequest):
        await S(k, "fs.rollback", path="r.txt", n=99)
    with pytest.raises(NotFound):
        await S(k, "fs.rollback", path="r.txt", at=0.0)


async def test_diff_between_versions(k: Kernel) -> None:
    await S(k, "fs.write", path="d.md", content="alpha\nbeta\n")
    await S(k, "fs.write", path="d.md", content="alpha\ngamma\n")
    diff = (await S(k, "fs.diff", path="d.md")).diff
    assert "-beta" in diff and "+gamma" in diff and "d.md@v1" in diff


async def test_mv_keeps_history_and_delete_keeps_nothing_live(k: Kernel) -> None:
    await S(k, "fs.write", path="a/x.txt", content="1")
    await S(k, "fs.write", path="a/x.txt", content="2")
    await S(k, "fs.mv", src="a", dst="b/a2")
    assert (await S(k, "fs.history", path="b/a2/x.txt")).versions[0]["path"] == "a/x.txt"
    assert not (k.fs.paths.root / "a").exists()
    with pytest.raises(NotFound):
        await S(k, "fs.stat", path="a/x.txt")
    with pytest.raises(Conflict):
        await S(k, "fs.delete", path="b")  # not empty
    assert set((await S(k, "fs.delete", path="b", recursive=True)).paths) == {
        "b",
        "b/a2",
        "b/a2/x.txt",
    }
    assert (await S(k, "fs.ls", path="")).entries == []
    await S(k, "fs.write", path="b/a2/x.txt", content="new life")  # a new file, v1
    assert (await S(k, "fs.stat", path="b/a2/x.txt")).version == 1


async def test_ls_mkdir_join_lock(k: Kernel) -> None:
    await S(k, "fs.mkdir", path="p/q")
    await S(k, "fs.write", path="p/one.txt", content="first")
    await S(k, "fs.write", path="p/q/two.txt", content="second")
    assert [e.path for e in (await S(k, "fs.ls", path="p")).entries] == ["p/one.txt", "p/q"]
    assert len((await S(k, "fs.ls", path="p", recursive=True)).entries) == 3
    joined = await S(
        k, "fs.join", a="p/one.txt", b="p/q/two.txt", dst="p/both.txt", separator=" + "
    )
    assert (await S(k, "fs.read", path=joined.path)).text == "first + second"
    await S(k, "fs.lock", path="p/one.txt")
    for call, args in [
        ("fs.write", {"content": "x"}),
        ("fs.append", {"content": "x"}),
        ("fs.delete", {}),
        ("fs.rollback", {"n": 1}),
    ]:
        with pytest.raises((Conflict, BadRequest)):
            await S(k, call, path="p/one.txt", **args)
    assert not os.access(k.fs.paths.root / "p" / "one.txt", os.W_OK) or os.geteuid() == 0
    await S(k, "fs.unlock", path="p/one.txt")
    await S(k, "fs.write", path="p/one.txt", content="changed")


async def test_binary_files_are_versioned_not_indexed(k: Kernel) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    await S(k, "fs.write", path="img.png", content_b64=base64.b64encode(png).decode())
    await idle(k)
    st = await S(k, "fs.stat", path="img.png")
    assert st.index_state == "skipped" and not st.indexed and "not indexed" in st.index_note
    out = await S(k, "fs.read", path="img.png")
    assert out.text is None and base64.b64decode(out.content_b64) == png


async def test_pdf_and_docx_are_extracted_and_searchable(k: Kernel) -> None:
    import docx

    doc = docx.Document()
    doc.add_paragraph("The submarine cable was repaired near the Azores.")
    buf = io.BytesIO()
    doc.save(buf)
    await S(k, "fs.write", path="cable.docx", content_b64=base64.b64encode(buf.getvalue()).decode())
    await S(
        k,
        "fs.write",
        path="owl.pdf",
        content_b64=base64.b64encode(_pdf("Snowy owls hunt lemmings on the tundra.")).decode(),
    )
    await idle(k)
    assert (await S(k, "fs.stat", path="owl.pdf")).indexed
    assert top(await S(k, "fs.retrieve", query="Azores", mode="keyword")) == ["cable.docx"]
    assert (
        top(await S(k, "fs.retrieve", query="arctic birds of prey", mode="semantic"))[0]
        == "owl.pdf"
    )


def _pdf(text: str) -> bytes:
    """A one-page PDF with a line of text (written by hand: pypdf reads, not writes text)."""
    stream = f"BT /F1 12 Tf 50 700 Td ({text}) Tj ET".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


# -- paths and permissions ----------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["../escape.txt", "a/../../b", "/etc/passwd", "a\x00b", "a\\b", "x/" * 40 + "deep"]
)
async def test_path_escapes_are_refused(k: Kernel, bad: str) -> None:
    with pytest.raises((PermissionDenied, BadRequest)):
        await S(k, "fs.write", path=bad, content="nope")


async def test_symlink_leading_outside_is_refused(k: Kernel, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, k.fs.paths.root / "link")
    with pytest.raises(PermissionDenied, match="symlink") as err:
        await S(k, "fs.write", path="link/x.txt", content="escape")
    assert str(outside) not in err.value.message  # where it points is not said
    assert not (outside / "x.txt").exists()


async def test_absolute_path_inside_the_mount_is_accepted(k: Kernel) -> None:
    info = await S(k, "fs.write", path=str(k.fs.paths.root / "abs.txt"), content="ok")
    assert info.path == "abs.txt"


async def test_oversized_write_is_refused(k: Kernel) -> None:
    k.fs.cfg.max_file_bytes = 100
    with pytest.raises(TooLarge):
        await S(k, "fs.write", path="big.txt", content="x" * 101)


async def test_processes_only_reach_their_folders(k: Kernel) -> None:
    await load_corpus(k, "c")
    await S(k, "fs.write", path="secret/plan.md", content="Tomatoes and watering schedules.")
    await idle(k)

    async def agent(ctx: Any, task: str) -> Any:
        hits = (await ctx.syscall("fs.retrieve", query="tomatoes watering")).hits
        out = {"paths": sorted({h["path"] for h in hits})}
        for name, args in [
            ("fs.read", {"path": "secret/plan.md"}),
            ("fs.write", {"path": "c/new.txt", "content": "x"}),
        ]:
            try:
                await ctx.syscall(name, **args)
                out[name] = "allowed"
            except PermissionDenied:
                out[name] = "denied"
        out["ls"] = [e.path for e in (await ctx.syscall("fs.ls", path="", recursive=True)).entries]
        return out

    caps = Capabilities(fs_read=["c"], fs_write=["scratch"])
    proc = await k.spawn(agent, capabilities=caps)
    info = await k.wait(proc.pid, 30)
    assert info.state == ProcessState.EXITED, info.error
    res = info.result
    assert res["paths"] and all(p.startswith("c/") for p in res["paths"])
    assert res["fs.read"] == "denied" and res["fs.write"] == "denied"
    assert all(p == "c" or p.startswith("c/") for p in res["ls"])
