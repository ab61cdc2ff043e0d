"""Keyword search over the same chunks: SQLite FTS5 (BM25) or PostgreSQL full-text
search (aios/fs/keyword_index.py).

Each term is searched as a phrase, so an identifier like ``parse_config_v2``
matches exactly its own tokens in order; terms are combined with AND or OR.
"""

from __future__ import annotations

from aios.fs.keyword_index import search as keyword_search

__all__ = ["keyword_search", "terms_of"]


# English function words: in an OR query they match nearly every chunk, and rank
# fusion (which ignores BM25's low weight for them) would then reward noise.
STOPWORDS = frozenset(
    """
a about above after again against all am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for
from further had has have having he her here hers him his how i if in into is it its
itself just me more most my no nor not now of off on once only or other our ours out
over own same she should so some such than that the their theirs them then there these
they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours
""".split()
)


def terms_of(query: str) -> list[str]:
    """Search terms of a free-text query, without function words (unless that is all)."""
    terms = [t.strip(".,;:!?()[]{}'\"") for t in query.split()]
    terms = [t for t in terms if any(c.isalnum() for c in t)]
    content = [t for t in terms if t.lower() not in STOPWORDS]
    return content or terms
