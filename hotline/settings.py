"""Settings from environment variables. Every field has an embedded default so `make run` works alone.

The table in README.md lists them; keep the two in step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment (all names start with HOTLINE_ unless noted)."""

    http_host: str = "127.0.0.1"
    http_port: int = 8080
    database_url: str = "sqlite+aiosqlite:///var/hotline.sqlite3"
    data_dir: Path = Path("var")
    ari_url: str = "http://127.0.0.1:8088"
    ari_user: str = "asterisk"
    ari_password: str = "asterisk"
    ari_app: str = "hotline"
    seat_context: str = "hotline-seat"
    seat_extension: str = "s"
    seat_queue: str = ""  # the ARI seat queue's options (callflow/seat/config.py); "off" = dialplan Queue()
    node_id: str = "node-1"  # this controller's Asterisk node (HOTLINE_NODE); holds agents under this name
    menu_path: Path | None = None
    prompts_dir: Path = Path("var/prompts")
    recordings_dir: Path = Path("var/recordings")
    recordings_retention: str = ""  # e.g. "mix=365,caller=180"; see recordings/domain/retention.py
    asterisk_recordings_dir: Path | None = None  # Asterisk on this host: pick recordings up here
    timezone: str = "Asia/Shanghai"
    office_hours: str = "08:30-12:00,14:00-17:30"
    vosk_model_path: Path | None = None
    asr_url: str | None = None
    asr_workers: int = 1
    live_rtp_host: str = "127.0.0.1"  # our RTP receivers for live transcription bind here (Asterisk sends to it)
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from: str | None = None
    public_url: str = "http://127.0.0.1:8080"
    survey_link_secret: str = ""  # signs rating links (/r/...); empty: derived, see sms_feedback.survey_sending
    survey_dial_template: str = "PJSIP/{number}@trunk"  # phone survey (电话回访) dial string, {number} = digits
    phone_survey: str = ""  # phone survey options (sms_feedback/domain/phone_schedule.py); "off" = no calls
    production: bool = False
    warn_hours: float = 2.0  # 临期预警: working hours before a due time
    repeat_window_days: int = 30  # 重复投诉: same matter within this many days
    reports_dir: Path | None = None  # generated reports (HOTLINE_REPORTS_DIR); None: data_dir / "reports"
    ranking_weights: str = ""  # HOTLINE_RANKING_WEIGHTS: "on_time_rate=2,…" or a YAML file; "": equal
    review_rectify_days: int = 5  # 整改时限: working days to rectify after a bad review
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)

        def get(name: str, default: str | None = None) -> str | None:
            value = env.get(name)
            return value if value not in (None, "") else default

        data_dir = Path(get("HOTLINE_DATA_DIR", "var") or "var")
        menu = get("HOTLINE_MENU_PATH")
        vosk = get("VOSK_MODEL_PATH")
        return cls(
            http_host=get("HOTLINE_HTTP_HOST", "127.0.0.1") or "127.0.0.1",
            http_port=int(get("HOTLINE_HTTP_PORT", "8080") or 8080),
            database_url=get("HOTLINE_DATABASE_URL", f"sqlite+aiosqlite:///{data_dir}/hotline.sqlite3")
            or "",
            data_dir=data_dir,
            ari_url=(get("HOTLINE_ARI_URL", "http://127.0.0.1:8088") or "").rstrip("/"),
            ari_user=get("HOTLINE_ARI_USER", "asterisk") or "asterisk",
            ari_password=get("HOTLINE_ARI_PASSWORD", "asterisk") or "asterisk",
            ari_app=get("HOTLINE_ARI_APP", "hotline") or "hotline",
            seat_context=get("HOTLINE_SEAT_CONTEXT", "hotline-seat") or "hotline-seat",
            seat_extension=get("HOTLINE_SEAT_EXTENSION", "s") or "s",
            seat_queue=get("HOTLINE_SEAT_QUEUE", "") or "",
            node_id=get("HOTLINE_NODE", "node-1") or "node-1",
            menu_path=Path(menu) if menu else None,
            prompts_dir=Path(get("HOTLINE_PROMPTS_DIR", str(data_dir / "prompts")) or ""),
            recordings_dir=Path(get("HOTLINE_RECORDINGS_DIR", str(data_dir / "recordings")) or ""),
            recordings_retention=get("HOTLINE_RECORDINGS_RETENTION", "") or "",
            asterisk_recordings_dir=Path(spool) if (spool := get("HOTLINE_ASTERISK_RECORDINGS_DIR")) else None,
            timezone=get("HOTLINE_TIMEZONE", "Asia/Shanghai") or "Asia/Shanghai",
            office_hours=get("HOTLINE_OFFICE_HOURS", "08:30-12:00,14:00-17:30") or "",
            vosk_model_path=Path(vosk) if vosk else None,
            asr_url=get("HOTLINE_ASR_URL"),
            asr_workers=max(1, int(get("HOTLINE_ASR_WORKERS", "1") or 1)),
            live_rtp_host=get("HOTLINE_LIVE_RTP_HOST", "127.0.0.1") or "127.0.0.1",
            twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
            twilio_from=get("TWILIO_FROM"),
            public_url=(get("HOTLINE_PUBLIC_URL", "http://127.0.0.1:8080") or "").rstrip("/"),
            survey_link_secret=get("HOTLINE_SURVEY_LINK_SECRET", "") or "",
            survey_dial_template=get("HOTLINE_SURVEY_DIAL_TEMPLATE", "PJSIP/{number}@trunk") or "",
            phone_survey=get("HOTLINE_PHONE_SURVEY", "") or "",
            production=(get("HOTLINE_PRODUCTION", "0") or "0").lower() in ("1", "true", "yes"),
            warn_hours=float(get("HOTLINE_WARN_HOURS", "2") or 2),
            repeat_window_days=int(get("HOTLINE_REPEAT_WINDOW_DAYS", "30") or 30),
            reports_dir=Path(get("HOTLINE_REPORTS_DIR", str(data_dir / "reports")) or ""),
            ranking_weights=get("HOTLINE_RANKING_WEIGHTS", "") or "",
            review_rectify_days=int(get("HOTLINE_REVIEW_RECTIFY_DAYS", "5") or 5),
        )

    def describe(self) -> list[tuple[str, str]]:
        """Field names and values with secrets masked, for `hotline serve` start-up logs."""
        out = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("ari_password", "twilio_auth_token", "survey_link_secret") and value:
                value = "***"
            out.append((f.name, str(value)))
        return out
