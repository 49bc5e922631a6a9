"""The satisfaction survey's tables (满意度回访): surveys, inbound replies, opt-outs.

A survey row is created when a work order is closed (办结); its state moves pending → sent → rated,
or to expired / opted_out. `token` is the capability behind the rating link (评价链接). Inbound
messages are kept once per Twilio MessageSid; an opt-out (退订) is kept for good, one row per number.
Times are aware UTC (`hotline.db.UtcDateTime`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, UtcDateTime

SURVEY_STATES = ("pending", "sending", "sent", "rated", "expired", "opted_out")
SURVEY_PURPOSES = ("closure", "revisit")


class SurveyRow(Base):
    """One survey for one closed work order, sent to the caller's phone."""

    __tablename__ = "sms_surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workorder_id: Mapped[int] = mapped_column(Integer, index=True)
    workorder_number: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(32), index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)  # one of SURVEY_STATES
    token: Mapped[str] = mapped_column(String(64), unique=True)
    message_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rating: Mapped[str | None] = mapped_column(String(20))  # satisfied | basically | dissatisfied
    channel: Mapped[str | None] = mapped_column(String(10))  # sms | link
    rated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    comment: Mapped[str | None] = mapped_column(Text)
    # how it is sent (s0002_survey_sending): why, for what, from which outbox row, and what came of it
    purpose: Mapped[str] = mapped_column(String(10), default="closure", server_default="closure")
    review_id: Mapped[int | None] = mapped_column(Integer)  # the rectification a revisit survey follows
    matter: Mapped[str | None] = mapped_column(String(80))  # 诉求事项 in a few words, for the SMS
    outbox_key: Mapped[str | None] = mapped_column(String(160), unique=True, index=True)
    delivery_status: Mapped[str | None] = mapped_column(String(20))  # Twilio's last status callback
    delivery_failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    clarified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # the one clarifying SMS
    reply_sid: Mapped[str | None] = mapped_column(String(64))  # the SMS reply that rated it (s0005)


class DeliveryStatusRow(Base):
    """One status callback for an SMS we sent, kept once per (MessageSid, status) (短信回执)."""

    __tablename__ = "sms_delivery_statuses"
    __table_args__ = (UniqueConstraint("message_sid", "status", name="uq_sms_delivery_statuses_sid_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class InboundMessageRow(Base):
    """One SMS received from an enterprise (上行短信), kept once per MessageSid."""

    __tablename__ = "sms_inbound_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(32), index=True)
    to_number: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    parsed_kind: Mapped[str] = mapped_column(String(20))
    survey_id: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # acted on (s0005_reply_processing)


class OptOutRow(Base):
    """A number that asked for no more survey SMS (退订); kept for good."""

    __tablename__ = "sms_opt_outs"

    phone: Mapped[str] = mapped_column(String(32), primary_key=True)
    message_sid: Mapped[str | None] = mapped_column(String(64))
    opted_out_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PhoneAttemptRow(Base):
    """One call of the phone survey (电话回访) to a survey's number, and what came of it.

    `outcome`: calling (ringing or talking now) → rated | no-rating (answered, no valid key) |
    no-answer | busy | failed (the call could not be placed or the line refused it) | lost (the service
    stopped during the call). One row per (survey, attempt number): two controllers never place the
    same attempt twice.
    """

    __tablename__ = "sms_phone_attempts"
    __table_args__ = (UniqueConstraint("survey_id", "attempt", name="uq_sms_phone_attempts_survey_attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(Integer, index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(20), index=True)
    cause: Mapped[int | None] = mapped_column(Integer)  # the channel's hangup cause (Q.850), when known
    detail: Mapped[str | None] = mapped_column(String(200))
    rating: Mapped[str | None] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


# --- the review loop (差评整改闭环, sms_feedback.review_loop; migration s0004_review_lists) -------------


class ReviewRectificationRow(Base):
    """One rectification entry (整改清单): what must be fixed, by when, and how the revisits went.

    Its id is the `review_id` the revisit survey carries (and the other review tables point to);
    state is one of `sms_feedback.domain.reviews.ReviewState`."""

    __tablename__ = "review_rectifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workorder_id: Mapped[int] = mapped_column(Integer, index=True)
    workorder_number: Mapped[str] = mapped_column(String(40), index=True)
    unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    matter: Mapped[str] = mapped_column(String(200))
    task: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(30), index=True)
    round: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    rectification: Mapped[str | None] = mapped_column(Text)
    rectified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rectified_by: Mapped[str | None] = mapped_column(String(100))
    revisit_rating: Mapped[str | None] = mapped_column(String(30))
    revisited_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(100))
    close_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReviewBadReviewRow(Base):
    """One dissatisfied rating (差评清单): the first one and every dissatisfied revisit after it."""

    __tablename__ = "review_bad_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(Integer, index=True)
    round: Mapped[int] = mapped_column(Integer)
    workorder_id: Mapped[int] = mapped_column(Integer)
    workorder_number: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    rating: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(20))  # sms | web | phone
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    survey_id: Mapped[int | None] = mapped_column(Integer)


class ReviewResponsibilityRow(Base):
    """Who answers for a bad review (责任清单): the unit and the handler who replied before closure."""

    __tablename__ = "review_responsibilities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(Integer, unique=True)
    workorder_id: Mapped[int] = mapped_column(Integer)
    workorder_number: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    unit_name: Mapped[str | None] = mapped_column(String(200))
    handler_id: Mapped[int | None] = mapped_column(Integer)
    handler_name: Mapped[str | None] = mapped_column(String(100))
    closed_by: Mapped[str | None] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class ReviewEventRow(Base):
    """One change of a rectification entry (留痕): who, when, what. A survey's rating is applied once:
    `survey_id` is unique among the events it caused."""

    __tablename__ = "review_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(Integer, index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(30))
    state_before: Mapped[str | None] = mapped_column(String(30))
    state_after: Mapped[str] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)
    survey_id: Mapped[int | None] = mapped_column(Integer, unique=True)
