"""The semantic side of LSFS: retrieval, grouping, LLM summaries, share links.

Searches read their caller's own writes: before searching they wait (bounded by
``fs.read_own_writes_s``) until the writes the caller made before the search are
indexed, and say how many still were not (``pending``) if the wait gave up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from aios.fs import compose, versions
from aios.fs.consistency import counts, failures
from aios.fs.extract import Extracted, extract
from aios.fs.retrieve import retrieve as _retrieve
from aios.kernel.sysfs import (
    FsArgs,
    check,
    denied,
    lsfs,
    may,
    on_the_way,
    readable_scopes,
    run_io,
)

if TYPE_CHECKING:
    from aios.fs.fs import LSFS
    from aios.kernel.kernel import Kernel
    from aios.kernel.syscalls import Call

__all__ = ["GroupArgs", "RetrieveArgs", "RetrieveResult"]


class RetrieveArgs(FsArgs):
    query: str = Field(min_length=1, max_length=2000)
    mode: Literal["semantic", "keyword", "hybrid"] = "hybrid"
    top_k: int = Field(default=10, ge=1, le=200)
    prefix: str = Field(default="", max_length=1024, description="only under this folder")
    match: Literal["all", "any"] = Field(default="any", description="keyword: AND or OR")
    unit: Literal["file", "chunk"] = "file"


class RetrieveResult(BaseModel):
    hits: list[dict[str, Any]]
    pending: int = Field(
        default=0, description="the caller's own earlier writes not yet indexed (searched without)"
    )


class GroupArgs(FsArgs):
    query: str = Field(min_length=1, max_length=2000)
    folder: str = Field(max_length=1024, description="the new folder")
    mode: Literal["semantic", "keyword", "hybrid"] = "hybrid"
    top_k: int = Field(default=10, ge=1, le=200)
    prefix: str = Field(default="", max_length=1024)
    min_score: float | None = Field(default=None, description="drop weaker matches")


class GroupResult(BaseModel):
    folder: str
    paths: list[str]
    sources: list[str]
    pending: int = Field(default=0, description="the caller's own writes not yet indexed")


class SummarizeArgs(FsArgs):
    path: str = Field(max_length=1024)
    version: int | None = Field(default=None, ge=1, le=2**31)
    max_tokens: int = Field(default=160, ge=16, le=1024)


class ChangeSummaryArgs(FsArgs):
    path: str = Field(max_length=1024)
    from_version: int | None = Field(default=None, ge=1, le=2**31)
    to_version: int | None = Field(default=None, ge=1, le=2**31)
    max_tokens: int = Field(default=160, ge=16, le=1024)


class SummaryResult(BaseModel):
    path: str
    summary: str
    truncated: bool


class LinkArgs(FsArgs):
    path: str = Field(max_length=1024)
    ttl_s: float | None = Field(default=None, gt=0)
    version: int | None = Field(default=None, ge=1, le=2**31)


class LinkResult(BaseModel):
    url: str
    token: str
    path: str
    expires_at: float


class StatusArgs(FsArgs):
    pass


class IndexFailure(BaseModel):
    path: str
    error: str
    attempts: int
    retry_in_s: float | None = Field(description="None: no more tries until it changes")


class IndexStatusResult(BaseModel):
    status: dict[str, Any] = Field(description="the indexer's queue and counters since start")
    chunks: int = Field(description="chunk rows")
    vectors: int = Field(description="vectors in chromadb (equal to chunks when consistent)")
    keyword_rows: int = Field(description="FTS5 rows (equal to chunks when consistent)")
    failed: int = Field(description="files whose indexing failed")
    failures: list[IndexFailure] = Field(description="the latest failures (at most 20)")


def check_prefix(k: Kernel, call: Call, prefix: str) -> str:
    fs = lsfs(k)
    rel = fs.paths.norm(prefix)
    if rel and not may(call, rel, write=False) and not on_the_way(call, rel):
        raise denied(call, rel, write=False)  # the same whether it exists or not
    return rel


def _search(
    k: Kernel,
    call: Call,
    query: str,
    mode: Any,
    top_k: int,
    prefix: str,
    match: Any = "any",
    unit: Any = "file",
) -> list[Any]:
    fs = lsfs(k)
    rel = check_prefix(k, call, prefix)
    scopes = readable_scopes(call, rel)
    return _retrieve(
        fs,
        query,
        mode=mode,
        k=top_k,
        scopes=scopes,
        match=match,
        unit=unit,
    )


async def _own_writes(k: Kernel, call: Call) -> int:
    """Wait (on the loop, bounded) until the caller's earlier writes are indexed."""
    return await lsfs(k).writes.wait(call.caller.label, k.config.fs.read_own_writes_s)


async def retrieve(k: Kernel, call: Call, args: RetrieveArgs) -> RetrieveResult:
    """Search files: semantic, keyword (all/any terms) or hybrid (rank fusion)."""
    check_prefix(k, call, args.prefix)  # refused before anything waits
    pending = await _own_writes(k, call)
    hits = await run_io(
        _search, k, call, args.query, args.mode, args.top_k, args.prefix, args.match, args.unit
    )
    return RetrieveResult(hits=[h.to_dict() for h in hits], pending=pending)


async def group_by(k: Kernel, call: Call, args: GroupArgs) -> GroupResult:
    """Copy the files matching a query into a new folder."""
    folder = check(k, call, args.folder, write=True)
    check_prefix(k, call, args.prefix)
    pending = await _own_writes(k, call)
    hits = await run_io(_search, k, call, args.query, args.mode, args.top_k, args.prefix)
    sources = [h.path for h in hits if args.min_score is None or h.score >= args.min_score]
    sources = [p for p in sources if p != folder and not p.startswith(folder + "/")]
    # belt and braces: the search is already limited to readable folders
    sources = [p for p in sources if may(call, p, write=False)]
    paths = await run_io(compose.group, lsfs(k), sources, folder, author=call.caller.label)
    return GroupResult(folder=folder, paths=paths, sources=sources, pending=pending)


async def _llm(k: Kernel, call: Call, system: str, text: str, max_tokens: int) -> str:
    res = await k.syscall(
        call.caller,
        "llm.chat",
        {
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": text}],
            "max_tokens": max_tokens,
            "temperature": 0,
        },
    )
    return res.text.strip()  # type: ignore[attr-defined,no-any-return]


async def summarize(k: Kernel, call: Call, args: SummarizeArgs) -> SummaryResult:
    """Summarise a file with the LLM (a scheduled llm.chat of the caller)."""
    rel = check(k, call, args.path, write=False)
    ex = await run_io(_extracted, lsfs(k), rel, args.version)  # PDF, DOCX: seconds of CPU
    if ex.text is None:
        return SummaryResult(path=rel, summary=ex.note or "not text", truncated=False)
    limit = k.config.fs.summary_chars
    body = ex.text[:limit]
    summary = await _llm(
        k,
        call,
        "Summarize the document in a few sentences.",
        f"Document {rel}:\n{body}",
        args.max_tokens,
    )
    return SummaryResult(path=rel, summary=summary, truncated=len(ex.text) > limit)


def _extracted(fs: LSFS, rel: str, version: int | None) -> Extracted:
    data, _ = fs.read(rel, version)
    return extract(rel, data)


async def change_summary(k: Kernel, call: Call, args: ChangeSummaryArgs) -> SummaryResult:
    """Summarise with the LLM what changed between two versions of a file."""
    rel = check(k, call, args.path, write=False)
    diff = await run_io(versions.diff, lsfs(k), rel, args.from_version, args.to_version)
    if not diff.strip():
        return SummaryResult(path=rel, summary="No changes.", truncated=False)
    limit = k.config.fs.summary_chars
    summary = await _llm(
        k,
        call,
        "Summarize what changed, in one or two sentences.",
        f"Changes to {rel} (unified diff):\n{diff[:limit]}",
        args.max_tokens,
    )
    return SummaryResult(path=rel, summary=summary, truncated=len(diff) > limit)


async def link(k: Kernel, call: Call, args: LinkArgs) -> LinkResult:
    """An unguessable, expiring URL of this daemon that serves the file."""
    rel = check(k, call, args.path, write=False)
    out = await run_io(
        compose.make_link,
        lsfs(k),
        rel,
        author=call.caller.label,
        ttl_s=args.ttl_s,
        version=args.version,
    )
    url = f"http://{k.config.host}:{k.config.port}/v1/links/{out['token']}"
    return LinkResult(url=url, token=out["token"], path=out["path"], expires_at=out["expires_at"])


async def index_status(k: Kernel, call: Call, args: StatusArgs) -> IndexStatusResult:
    """Indexing progress and failures; exact sizes of the chunk rows, vectors and FTS5."""
    return await run_io(_index_status, lsfs(k))


def _index_status(fs: LSFS) -> IndexStatusResult:
    n_failed, shown = failures(fs)
    return IndexStatusResult(
        status=fs.indexer.snapshot(),
        **counts(fs),
        failed=n_failed,
        failures=[IndexFailure(**f) for f in shown],
    )
