"""Adapters of callflow: SQLAlchemy models and stores."""
