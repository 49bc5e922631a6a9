"""The survey's other channels on SQLAlchemy (评价链接与电话回访): find a survey by its link token,
list the surveys the phone survey may have to call, and keep each call in `sms_phone_attempts`.

Every method is one short transaction. Starting an attempt is an INSERT guarded by the unique
(survey, attempt) pair, so two controllers never place the same call; finishing one is a conditional
UPDATE of a row still `calling`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sms_feedback.adapters.orm import PhoneAttemptRow, SurveyRow
from sms_feedback.adapters.survey_store import OPEN_STATES
from sms_feedback.domain.phone_schedule import SurveyCallFacts

CALLING = "calling"
UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class CallCandidate:
    """A survey the due check looks at: whom to call and the facts the schedule decides on."""

    survey_id: int
    workorder_number: str
    phone: str
    facts: SurveyCallFacts


class SqlSurveyChannels:
    """Link lookups and phone-survey attempts in the shared database."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def by_token(self, token: str) -> SurveyRow | None:
        async with self._sessions() as session:
            return (await session.execute(select(SurveyRow).where(SurveyRow.token == token))).scalar_one_or_none()

    async def by_id(self, survey_id: int) -> SurveyRow | None:
        async with self._sessions() as session:
            return await session.get(SurveyRow, survey_id)

    async def call_candidates(self, sent_before: datetime) -> list[CallCandidate]:
        """Open surveys sent before `sent_before` (or whose SMS failed), with their attempts so far."""
        condition = or_(SurveyRow.sent_at <= sent_before, SurveyRow.delivery_failed_at.is_not(None))
        async with self._sessions() as session:
            surveys = list(
                (
                    await session.execute(
                        select(SurveyRow).where(SurveyRow.state.in_(OPEN_STATES), condition).order_by(SurveyRow.id)
                    )
                ).scalars()
            )
            attempts: dict[int, list[PhoneAttemptRow]] = defaultdict(list)
            if surveys:
                rows = await session.execute(
                    select(PhoneAttemptRow)
                    .where(PhoneAttemptRow.survey_id.in_([s.id for s in surveys]))
                    .order_by(PhoneAttemptRow.attempt)
                )
                for row in rows.scalars():
                    attempts[row.survey_id].append(row)
        out = []
        for survey in surveys:
            tried = attempts[survey.id]
            facts = SurveyCallFacts(
                sent_at=survey.sent_at,
                delivery_failed_at=survey.delivery_failed_at,
                rated=survey.state == "rated",
                attempts_made=len(tried),
                last_attempt_at=tried[-1].started_at if tried else None,
                call_in_progress=any(a.outcome == CALLING for a in tried),
            )
            out.append(CallCandidate(survey.id, survey.workorder_number, survey.phone, facts))
        return out

    async def start_attempt(
        self, survey_id: int, attempt: int, number: str, channel_id: str, at: datetime
    ) -> PhoneAttemptRow | None:
        """Claim call number `attempt` of a survey; None when it was already placed (by another controller)."""
        row = PhoneAttemptRow(
            survey_id=survey_id, attempt=attempt, number=number, channel_id=channel_id, outcome=CALLING, started_at=at
        )
        try:
            async with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            return None
        return row

    async def forget_attempt(self, attempt_id: int) -> None:
        """The call was never placed (our ARI connection was down): it does not count as an attempt."""
        async with self._sessions.begin() as session:
            await session.execute(
                delete(PhoneAttemptRow).where(PhoneAttemptRow.id == attempt_id, PhoneAttemptRow.outcome == CALLING)
            )

    async def answered(self, attempt_id: int, at: datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(PhoneAttemptRow)
                .where(PhoneAttemptRow.id == attempt_id, PhoneAttemptRow.answered_at.is_(None))
                .values(answered_at=at)
            )

    async def finish_attempt(
        self,
        attempt_id: int,
        outcome: str,
        at: datetime,
        *,
        cause: int | None = None,
        detail: str | None = None,
        rating: str | None = None,
    ) -> bool:
        """Record how a call ended (once: False if it was already finished)."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(PhoneAttemptRow)
                .where(PhoneAttemptRow.id == attempt_id, PhoneAttemptRow.outcome == CALLING)
                .values(outcome=outcome, ended_at=at, cause=cause, detail=detail, rating=rating)
            )
            return bool(getattr(result, "rowcount", 0))

    async def close_stale(self, started_before: datetime, at: datetime) -> int:
        """Calls still `calling` that began before `started_before` were cut off by a stop: mark them lost."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(PhoneAttemptRow)
                .where(PhoneAttemptRow.outcome == CALLING, PhoneAttemptRow.started_at < started_before)
                .values(outcome="lost", ended_at=at, detail="服务中断，通话结果未知 (service stopped during the call)")
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def mark_unreachable(self, survey_id: int) -> bool:
        """Every call went unanswered: the survey is reported unreachable (无法联系)."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(SurveyRow)
                .where(SurveyRow.id == survey_id, SurveyRow.state.in_(OPEN_STATES))
                .values(state=UNREACHABLE)
            )
            return bool(getattr(result, "rowcount", 0))

    async def attempts_of(self, survey_id: int) -> list[PhoneAttemptRow]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(PhoneAttemptRow).where(PhoneAttemptRow.survey_id == survey_id).order_by(PhoneAttemptRow.attempt)
            )
            return list(rows.scalars())
