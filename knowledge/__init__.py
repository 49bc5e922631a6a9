"""The knowledge base (知识库) of enterprise Q&A entries pushed by units, and the expert directory (专家库).

`domain/` is pure (entries, visibility, version diffs, experts, duty hours, picking experts);
`search.py` is the Chinese full-text search (jieba + SQLite FTS5 or PostgreSQL tsvector);
`services.py` orchestrates; `adapters/orm.py` holds the tables; `web.py` and `cli.py` are thin.
See docs/knowledge.md.
"""
