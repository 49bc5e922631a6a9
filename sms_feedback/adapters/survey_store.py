"""The survey store on SQLAlchemy (回访记录): create, find the pending survey of a number, rate, opt out.

Every method is one short transaction. Rating is a conditional UPDATE (only a survey still pending or
sent takes a rating), so two replies or a reply and a link click racing each other rate it once.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sms_feedback.adapters.orm import InboundMessageRow, OptOutRow, SurveyRow

OPEN_STATES = ("pending", "sent")


class SqlSurveyStore:
    """Surveys, inbound replies and opt-outs in the shared database."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create(self, workorder_id: int, workorder_number: str, phone: str, at: datetime) -> SurveyRow:
        """A pending survey for a closed work order, with a fresh random token (its link's id);
        an opted-out number gets its survey already in state opted_out (nothing is sent)."""
        async with self._sessions.begin() as session:
            opted_out = await session.get(OptOutRow, phone) is not None
            row = SurveyRow(
                workorder_id=workorder_id,
                workorder_number=workorder_number,
                phone=phone,
                state="opted_out" if opted_out else "pending",
                token=secrets.token_urlsafe(24),
                created_at=at,
            )
            session.add(row)
        return row

    async def mark_sent(self, survey_id: int, message_sid: str, at: datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(SurveyRow)
                .where(SurveyRow.id == survey_id, SurveyRow.state == "pending")
                .values(state="sent", message_sid=message_sid, sent_at=at)
            )

    async def latest_open_for(self, phone: str) -> SurveyRow | None:
        """The newest survey of this number still waiting for a rating (a reply answers the latest)."""
        async with self._sessions() as session:
            query = (
                select(SurveyRow)
                .where(SurveyRow.phone == phone, SurveyRow.state.in_(OPEN_STATES))
                .order_by(SurveyRow.created_at.desc(), SurveyRow.id.desc())
                .limit(1)
            )
            return (await session.execute(query)).scalar_one_or_none()

    async def rate(
        self, survey_id: int, rating: str, channel: str, at: datetime, comment: str | None = None
    ) -> bool:
        """Record the rating once: False when the survey was already rated, expired or opted out."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(SurveyRow)
                .where(SurveyRow.id == survey_id, SurveyRow.state.in_(OPEN_STATES))
                .values(state="rated", rating=rating, channel=channel, rated_at=at, comment=comment)
            )
            return bool(getattr(result, "rowcount", 0))

    async def record_inbound(
        self, message_sid: str, from_number: str, to_number: str, body: str, parsed_kind: str, at: datetime
    ) -> bool:
        """Keep one inbound SMS; False when this MessageSid was already kept (a repeated webhook)."""
        try:
            async with self._sessions.begin() as session:
                session.add(
                    InboundMessageRow(
                        message_sid=message_sid,
                        from_number=from_number,
                        to_number=to_number,
                        body=body,
                        parsed_kind=parsed_kind,
                        received_at=at,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def opt_out(self, phone: str, message_sid: str | None, at: datetime) -> None:
        """The number asked for no more surveys (退订): kept for good; its open surveys are closed."""
        async with self._sessions.begin() as session:
            if await session.get(OptOutRow, phone) is None:
                session.add(OptOutRow(phone=phone, message_sid=message_sid, opted_out_at=at))
            await session.execute(
                update(SurveyRow)
                .where(SurveyRow.phone == phone, SurveyRow.state.in_(OPEN_STATES))
                .values(state="opted_out")
            )

    async def is_opted_out(self, phone: str) -> bool:
        async with self._sessions() as session:
            return await session.get(OptOutRow, phone) is not None
