"""Adapters of recordings: the SQLAlchemy tables, the local disk store, ARI fetch, work-order facts."""
