"""Adapters of the asr package: the transcription-job table (SQLAlchemy)."""
