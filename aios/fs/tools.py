"""LSFS as tools for the compiler: each one is an ``fs.*`` syscall of the process
that called the tool, so a plan can only touch what its process may."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from langchain_core.tools import StructuredTool

from aios.errors import PermissionDenied
from aios.tools.context import current_caller
from aios.tools.risk import DESTRUCTIVE, READ_ONLY, WRITES

if TYPE_CHECKING:
    from aios.kernel.kernel import Kernel
    from aios.tools.registry import ToolRegistry

__all__ = ["register_fs_tools"]

# They act through fs.* syscalls as the caller, so its folders bound them: local tools.


def register_fs_tools(registry: ToolRegistry, kernel: Kernel) -> None:
    async def call(name: str, **args: Any) -> Any:
        caller = current_caller.get()
        if caller is None:
            raise PermissionDenied("LSFS tools run only inside a tool.call syscall")
        return await kernel.syscall(caller, name, args)

    async def fs_read(path: str) -> str:
        """Read a text file (show, open, cat, print it) to answer about what it says,
        summarize it or count its words."""
        res = await call("fs.read", path=path)
        return res.text if res.text is not None else f"<binary, {res.info.size} bytes>"

    async def fs_write(path: str, content: str) -> dict[str, Any]:
        """Write, create or save a text file with this content (a new version if it exists);
        to copy a file, read it and write what it holds."""
        res = await call("fs.write", path=path, content=content)
        return {"path": res.path, "version": res.version}

    async def fs_search(query: str, top_k: int = 5) -> list[dict[str, Any]]:
        """Search or find files about a topic (what was said or decided about it), by meaning
        and keywords; returns paths and text."""
        res = await call("fs.retrieve", query=query, top_k=top_k)
        return [{"path": h["path"], "text": h["text"][:300], "line": h["line"]} for h in res.hits]

    async def fs_ls(path: str = "") -> list[str]:
        """List the files in a folder: what is in it, how many files."""
        res = await call("fs.ls", path=path)
        return [e.path + ("/" if e.kind == "dir" else "") for e in res.entries]

    async def fs_delete(
        path: str, recursive: Annotated[bool, "also everything inside a folder"] = False
    ) -> dict[str, Any]:
        """Delete, remove, erase or trash a file (get rid of it), or a folder and all in
        it with recursive=true."""
        res = await call("fs.delete", path=path, recursive=recursive)
        return {"path": path, "deleted": res.paths}

    async def fs_mv(src: str, dst: str) -> dict[str, Any]:
        """Move or rename a file or folder from src to dst."""
        res = await call("fs.mv", src=src, dst=dst)
        return {"path": res.path, "moved_from": src}

    async def fs_rollback(
        path: str, n: Annotated[int, "how many versions back"] = 1
    ) -> dict[str, Any]:
        """Undo changes to a file: restore it as it was n versions ago, go back n versions."""
        res = await call("fs.rollback", path=path, n=n)
        return {"path": res.path, "version": res.version}

    async def fs_history(path: str) -> list[dict[str, Any]]:
        """A file's history: its versions and when it changed, newest first."""
        res = await call("fs.history", path=path)
        return res.versions

    tools = (
        (fs_read, READ_ONLY), (fs_write, WRITES), (fs_search, READ_ONLY), (fs_ls, READ_ONLY),
        (fs_history, READ_ONLY), (fs_delete, DESTRUCTIVE), (fs_mv, DESTRUCTIVE),
        (fs_rollback, DESTRUCTIVE),
    )  # fmt: skip
    for fn, risk in tools:
        registry.register(StructuredTool.from_function(coroutine=fn, name=fn.__name__), risk=risk)
