"""The semantic side of LSFS: retrieval, grouping, LLM summaries, share links."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from aios.fs import compose, versions
from aios.fs.retrieve import retrieve as _retrieve
from aios.kernel.sysfs import check, denied, lsfs, may, on_the_way, readable_scopes, run_io

if TYPE_CHECKING:
    from aios.kernel.kernel import Kernel
    from aios.kernel.syscalls import Call

__all__ = ["GroupArgs", "RetrieveArgs", "RetrieveResult"]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RetrieveArgs(_Args):
    query: str = Field(min_length=1, max_length=2000)
    mode: Literal["semantic", "keyword", "hybrid"] = "hybrid"
    top_k: int = Field(default=10, ge=1, le=200)
    prefix: str = Field(default="", max_length=1024, description="only under this folder")
    match: Literal["all", "any"] = Field(default="any", description="keyword: AND or OR")
    unit: Literal["file", "chunk"] = "file"


class RetrieveResult(BaseModel):
    hits: list[dict[str, Any]]


class GroupArgs(_Args):
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


class SummarizeArgs(_Args):
    path: str = Field(max_length=1024)
    version: int | None = Field(default=None, ge=1, le=2**31)
    max_tokens: int = Field(default=160, ge=16, le=1024)


class ChangeSummaryArgs(_Args):
    path: str = Field(max_length=1024)
    from_version: int | None = Field(default=None, ge=1, le=2**31)
    to_version: int | None = Field(default=None, ge=1, le=2**31)
    max_tokens: int = Field(default=160, ge=16, le=1024)


class SummaryResult(BaseModel):
    path: str
    summary: str
    truncated: bool


class LinkArgs(_Args):
    path: str = Field(max_length=1024)
    ttl_s: float | None = Field(default=None, gt=0)
    version: int | None = Field(default=None, ge=1, le=2**31)


class LinkResult(BaseModel):
    url: str
    token: str
    path: str
    expires_at: float


class StatusArgs(_Args):
    pass


class IndexStatusResult(BaseModel):
    status: dict[str, Any]
    vectors: int


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
    rel = fs.paths.norm(prefix)
    if rel and not may(call, rel, write=False) and not on_the_way(call, rel):
        raise denied(call, rel, write=False)  # the same whether it exists or not
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


async def retrieve(k: Kernel, call: Call, args: RetrieveArgs) -> RetrieveResult:
    """Search files: semantic, keyword (all/any terms) or hybrid (rank fusion)."""
    hits = await run_io(
        _search, k, call, args.query, args.mode, args.top_k, args.prefix, args.match, args.unit
    )
    return RetrieveResult(hits=[h.to_dict() for h in hits])


async def group_by(k: Kernel, call: Call, args: GroupArgs) -> GroupResult:
    """Copy the files matching a query into a new folder."""
    folder = check(k, call, args.folder, write=True)
    hits = await run_io(_search, k, call, args.query, args.mode, args.top_k, args.prefix)
    sources = [h.path for h in hits if args.min_score is None or h.score >= args.min_score]
    sources = [p for p in sources if p != folder and not p.startswith(folder + "/")]
    # belt and braces: the search is already limited to readable folders
    sources = [p for p in sources if may(call, p, write=False)]
    paths = await run_io(compose.group, lsfs(k), sources, folder, author=call.caller.label)
    return GroupResult(folder=folder, paths=paths, sources=sources)


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
    data, _ = await run_io(lsfs(k).read, rel, args.version)
    from aios.fs.extract import extract

    ex = extract(rel, data)
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
    """Indexing progress: queued, indexed, skipped, failed, chunks."""
    fs = lsfs(k)
    return IndexStatusResult(status=fs.indexer.snapshot(), vectors=await run_io(fs.vectors.count))
