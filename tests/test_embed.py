"""The embedder's configuration (no model needed) and its lazy loading."""

from __future__ import annotations

import os
import threading

from aios.config import FsConfig
from aios.fs.embed import Embedder


def test_torch_gets_one_thread_beside_an_in_process_llamacpp_core() -> None:
    assert Embedder.configured(FsConfig(), beside_llamacpp=True).threads == 1
    assert Embedder.configured(FsConfig(), beside_llamacpp=False).threads == os.cpu_count()
    fixed = FsConfig(embed_threads=3)
    assert Embedder.configured(fixed, beside_llamacpp=True).threads == 3


def test_the_query_session_can_be_asked_for_before_the_model() -> None:
    # _session() loads the model under the same lock it holds (once a deadlock)
    e = Embedder()
    done = threading.Event()
    t = threading.Thread(target=lambda: (e._session(), done.set()), daemon=True)
    t.start()
    assert done.wait(120), "the embedder deadlocked loading its model"
    assert e.encode_query("hello").shape == (e.dim,)
