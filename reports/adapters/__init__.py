"""Adapters of the reports: SQL queries, charts (matplotlib), HTML and PDF rendering, the report folder."""
