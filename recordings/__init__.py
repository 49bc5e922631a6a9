"""Call recordings (通话录音): storing, fetching over ARI, hashing, retention and audited download.

`recordings.web.RECORDINGS` holds the `RecordingService`; the call flow registers each finished
recording with `register_finished(name, call_id, kind, fmt, agent_user_id=...)`. See docs/recordings.md.
"""
