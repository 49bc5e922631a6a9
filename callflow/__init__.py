"""callflow: the ARI side of the hotline (呼叫控制).

- `ari/` — our thin asyncio ARI client: REST with typed errors (`client.py`, `errors.py`) and the event
  WebSocket with reconnect and backoff (`events.py`). Why not a library: docs/ari-client.md.
- `controller.py` — one Stasis app: a worker per call, reconcile after every (re)connection.
- `session.py` — the base of per-call sessions (`on_<Event>` handlers, timers on the shared `Clock`).
- `domain/` — pure: call records (通话记录), their menu path and dispositions, voice messages (留言).
- `services.py` — ports (`CallRecordStore`, `SeatHandoff`) and the dialplan seat hand-off.
- `adapters/` — SQLAlchemy tables and store; `migrations/` — their Alembic chain (branch `callflow`).
- `web.py` — wiring into the app and the `ari` entry of /healthz; `cli.py` — `hotline call test`.
"""
