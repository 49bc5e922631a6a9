"""The survey store on SQLAlchemy (回访记录): create, find the pending survey of a number, rate, opt out.

Every method is one short transaction. Rating is a conditional UPDATE (only a survey still pending or
sent takes a rating), so two replies or a reply and a link click racing each other rate it once.
`SqlSurveySending` is the sending side (survey_sending.py, survey_replies.py): one survey per outbox row,
pending → sending → sent with conditional UPDATEs (one sender per survey), delivery receipts, replies
kept with their safety outbox row, clarifications noted once.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sms_feedback.adapters.orm import DeliveryStatusRow, InboundMessageRow, OptOutRow, SurveyRow
from ticketing.outbox import enqueue

OPEN_STATES = ("pending", "sent")
SURVEY_REPLY = "survey.reply"  # outbox kind: act on a recorded reply that was not acted on (payload message_sid)
FAILED_STATUSES = ("failed", "undelivered")
# how far along a message is, by Twilio status: callbacks may arrive out of order, the furthest one counts
_STAGES = {"accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4, "read": 5}


def _stage(status: str | None) -> int:
    """Unknown / local statuses first; final failures (failed, undelivered, canceled) after delivered."""
    if status is None:
        return -1
    return _STAGES.get(status, 4 if status in (*FAILED_STATUSES, "canceled") else 0)


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
                token=secrets.token_urlsafe(8),  # short: it travels in the SMS link; the HMAC guards it
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
        self,
        survey_id: int,
        rating: str,
        channel: str,
        at: datetime,
        comment: str | None = None,
        *,
        reply_sid: str | None = None,
    ) -> bool:
        """Record the rating once: False when the survey was already rated, expired or opted out.
        `reply_sid`: the SMS reply that rated it (channel sms)."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(SurveyRow)
                .where(SurveyRow.id == survey_id, SurveyRow.state.in_(OPEN_STATES))
                .values(
                    state="rated", rating=rating, channel=channel, rated_at=at, comment=comment, reply_sid=reply_sid
                )
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

    @property
    def sending(self) -> SqlSurveySending:
        """The sending side over the same database."""
        return SqlSurveySending(self._sessions)

    async def is_opted_out(self, phone: str) -> bool:
        async with self._sessions() as session:
            return await session.get(OptOutRow, phone) is not None


# --- sending (survey_sending.py) -------------------------------------------------------------------


@dataclass(frozen=True)
class NewSurvey:
    """What a `survey.send` outbox row asks for (the payload ticketing or the review loop queued)."""

    outbox_key: str
    workorder_id: int
    workorder_number: str
    phone: str
    matter: str
    purpose: str = "closure"
    review_id: int | None = None


class SqlSurveySending:
    """The sending side of the survey tables: one survey per outbox row, pending → sending → sent.

    `sending` is committed before the gateway is called, so a crash during the call leaves a trace:
    such a survey is never sent a second time (`settle_unconfirmed` counts it as sent, unconfirmed)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create_once(self, new: NewSurvey, at: datetime) -> SurveyRow:
        """The survey of one outbox row; a redelivered row gets the survey it already made."""
        async with self._sessions() as session:
            found = await self._by_key(session, new.outbox_key)
            if found is not None:
                return found
        try:
            async with self._sessions.begin() as session:
                opted_out = await session.get(OptOutRow, new.phone) is not None
                row = SurveyRow(
                    workorder_id=new.workorder_id,
                    workorder_number=new.workorder_number,
                    phone=new.phone,
                    state="opted_out" if opted_out else "pending",
                    token=secrets.token_urlsafe(8),  # short: it travels in the SMS link; the HMAC guards it
                    created_at=at,
                    purpose=new.purpose,
                    review_id=new.review_id,
                    matter=new.matter[:80],
                    outbox_key=new.outbox_key,
                )
                session.add(row)
            return row
        except IntegrityError:  # another worker made it meanwhile
            async with self._sessions() as session:
                found = await self._by_key(session, new.outbox_key)
            if found is None:
                raise
            return found

    @staticmethod
    async def _by_key(session: AsyncSession, key: str) -> SurveyRow | None:
        query = select(SurveyRow).where(SurveyRow.outbox_key == key)
        return (await session.execute(query)).scalar_one_or_none()

    async def in_state(self, phone: str, state: str) -> list[SurveyRow]:
        """This number's surveys in one state, oldest first."""
        async with self._sessions() as session:
            query = (
                select(SurveyRow)
                .where(SurveyRow.phone == phone, SurveyRow.state == state)
                .order_by(SurveyRow.created_at, SurveyRow.id)
            )
            return list((await session.execute(query)).scalars())

    async def messages_sent_since(self, phone: str, since: datetime) -> list[datetime]:
        """When survey messages went to this number after `since`: one time per message (a merged
        message covers several surveys with one sending time)."""
        async with self._sessions() as session:
            query = (
                select(SurveyRow.sent_at)
                .where(SurveyRow.phone == phone, SurveyRow.sent_at.is_not(None), SurveyRow.sent_at > since)
                .distinct()
            )
            return sorted(t for t in (await session.execute(query)).scalars() if t is not None)

    async def opted_out_at(self, phone: str) -> datetime | None:
        async with self._sessions() as session:
            row = await session.get(OptOutRow, phone)
            return row.opted_out_at if row is not None else None

    async def begin_sending(self, survey_ids: Sequence[int], at: datetime) -> list[int]:
        """Move pending surveys to `sending` (committed); the ids this caller now holds."""
        held = []
        async with self._sessions.begin() as session:
            for survey_id in survey_ids:
                result = await session.execute(
                    update(SurveyRow)
                    .where(SurveyRow.id == survey_id, SurveyRow.state == "pending")
                    .values(state="sending", sent_at=at)
                )
                if getattr(result, "rowcount", 0):
                    held.append(survey_id)
        return held

    async def finish_sending(
        self, survey_ids: Sequence[int], *, message_sid: str | None, status: str, failed_at: datetime | None = None
    ) -> None:
        """`sending` → `sent`, with the gateway's message id and status (or the failure that ended it)."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(SurveyRow)
                .where(SurveyRow.id.in_(list(survey_ids)), SurveyRow.state == "sending")
                .values(state="sent", message_sid=message_sid, delivery_status=status, delivery_failed_at=failed_at)
            )

    async def back_to_pending(self, survey_ids: Sequence[int]) -> None:
        """The gateway certainly did not take the message (it answered with an error): try again later."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(SurveyRow)
                .where(SurveyRow.id.in_(list(survey_ids)), SurveyRow.state == "sending")
                .values(state="pending", sent_at=None)
            )

    async def suppress(self, survey_ids: Sequence[int]) -> None:
        """The number opted out: these surveys are never sent."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(SurveyRow)
                .where(SurveyRow.id.in_(list(survey_ids)), SurveyRow.state == "pending")
                .values(state="opted_out")
            )

    async def open_sent_to(self, phone: str) -> list[SurveyRow]:
        """Surveys sent to this number and not rated yet (what a reply may answer), newest first."""
        async with self._sessions() as session:
            query = (
                select(SurveyRow)
                .where(SurveyRow.phone == phone, SurveyRow.state == "sent")
                .order_by(SurveyRow.sent_at.desc(), SurveyRow.id.desc())
            )
            return list((await session.execute(query)).scalars())

    async def mark_clarified(self, survey_ids: Sequence[int], at: datetime) -> list[int]:
        """Note the one clarification of each survey; the ids not clarified before (the others are skipped)."""
        marked = []
        async with self._sessions.begin() as session:
            for survey_id in survey_ids:
                result = await session.execute(
                    update(SurveyRow)
                    .where(SurveyRow.id == survey_id, SurveyRow.clarified_at.is_(None))
                    .values(clarified_at=at)
                )
                if getattr(result, "rowcount", 0):
                    marked.append(survey_id)
        return marked

    async def record_reply(
        self,
        message_sid: str,
        from_number: str,
        to_number: str,
        body: str,
        parsed_kind: str,
        at: datetime,
        redrive_at: datetime,
    ) -> bool:
        """Keep one inbound SMS once per MessageSid and, in the same transaction, a `survey.reply` outbox row
        due at `redrive_at`: if acting on the reply fails now, the outbox worker acts on it then (and retries).
        False when this MessageSid was already kept."""
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
                await session.flush()
                key = f"{SURVEY_REPLY}:{message_sid}"
                await enqueue(session, SURVEY_REPLY, {"message_sid": message_sid}, key, now=redrive_at)
        except IntegrityError:
            return False
        return True

    async def inbound(self, message_sid: str) -> InboundMessageRow | None:
        async with self._sessions() as session:
            query = select(InboundMessageRow).where(InboundMessageRow.message_sid == message_sid)
            return (await session.execute(query)).scalar_one_or_none()

    async def rated_by_reply(self, message_sid: str) -> list[SurveyRow]:
        """The surveys this SMS reply rated."""
        async with self._sessions() as session:
            query = select(SurveyRow).where(SurveyRow.reply_sid == message_sid).order_by(SurveyRow.id)
            return list((await session.execute(query)).scalars())

    async def mark_processed(self, message_sid: str, at: datetime) -> None:
        """The reply has been acted on (rated, clarified, opted out, or found to answer nothing)."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(InboundMessageRow)
                .where(InboundMessageRow.message_sid == message_sid, InboundMessageRow.processed_at.is_(None))
                .values(processed_at=at)
            )

    async def link_inbound(self, message_sid: str, survey_id: int) -> None:
        """Note which survey an inbound reply answered."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(InboundMessageRow)
                .where(InboundMessageRow.message_sid == message_sid)
                .values(survey_id=survey_id)
            )

    async def record_status(self, message_sid: str, status: str, error_code: int | None, at: datetime) -> bool:
        """Keep one status callback once per (sid, status) and put it on the surveys that message carried;
        failed/undelivered also stamp `delivery_failed_at` (the phone survey takes over). False: duplicate."""
        try:
            async with self._sessions.begin() as session:
                session.add(
                    DeliveryStatusRow(message_sid=message_sid, status=status, error_code=error_code, received_at=at)
                )
                await session.flush()
                carried = (await session.scalars(select(SurveyRow).where(SurveyRow.message_sid == message_sid))).all()
                for survey in carried:
                    if survey.delivery_failed_at is not None or _stage(status) < _stage(survey.delivery_status):
                        continue  # a failure stays; a receipt overtaken by a later one changes nothing
                    survey.delivery_status = status
                    if status in FAILED_STATUSES:
                        survey.delivery_failed_at = at
        except IntegrityError:
            return False
        return True
