"""Wires the survey's other channels into the app (issue 6 §3): the rating link page and the phone survey.

- `GET|POST /r/{token}`: `RatingPage`, over the survey tables (`SURVEY_STORE`) and ticketing's ratings
  port (`WORK_ORDER_RATINGS`), both filled by `sms_feedback.web` once the database is up; the link
  secret is `survey_sending.link_secret(settings)` (HOTLINE_SURVEY_LINK_SECRET), the same one the SMS
  links are signed with; the matter comes from the survey, else from ticketing's work order title.
- The phone survey (`PhoneSurveys`): its due check runs every `check_s` seconds while ARI is connected
  (`HOTLINE_PHONE_SURVEY`, `HOTLINE_SURVEY_DIAL_TEMPLATE`), with the working-day calendar and its
  database overrides. Not started with `HOTLINE_PHONE_SURVEY=off` or when background work is off
  (`ticketing.background.BACKGROUND` False, as in most tests).
- A survey call found in our app without its session (the service restarted during the call) is thanked
  and hung up: the enterprise never waits in silence; its attempt is marked lost later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from aiohttp import web

from callflow.controller import Controller
from callflow.session import CallSession, Event
from callflow.web import CONTROLLER, register_call_plugin
from hotline.app import SESSIONS, SETTINGS
from sms_feedback.adapters.survey_channels import SqlSurveyChannels
from sms_feedback.domain.phone_schedule import PhoneSurveyConfigError, WorkingDays, parse_phone_survey_options
from sms_feedback.phone_survey import PROMPT_GOODBYE, SURVEY_ARGS, PhoneSurveys
from sms_feedback.rating_page import LINK_PATH, RatingPage
from sms_feedback.survey_sending import link_secret
from sms_feedback.web import SURVEY_STORE, WORK_ORDER_RATINGS

log = logging.getLogger(__name__)

RATING_PAGE = web.AppKey("sms_rating_page", RatingPage)
PHONE_SURVEYS = web.AppKey("sms_phone_surveys", PhoneSurveys)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _now_of(app: web.Application) -> Callable[[], datetime]:
    from ticketing.web import NOW

    return app[NOW] if NOW in app else _utcnow


class TicketingMatters:
    """The matter of a work order from ticketing's service: its title (诉求事项)."""

    def __init__(self, app: web.Application) -> None:
        self._app = app

    async def matter(self, workorder_number: str) -> str | None:
        from ticketing.domain.roles import SYSTEM
        from ticketing.web import WORKORDERS

        if WORKORDERS not in self._app:
            return None
        detail = await self._app[WORKORDERS].detail(SYSTEM, workorder_number)
        return detail.order.title or None


async def show(request: web.Request) -> web.Response:
    return await request.app[RATING_PAGE].show(request)


async def rate(request: web.Request) -> web.Response:
    return await request.app[RATING_PAGE].rate(request)


class OrphanSurveySession(CallSession):
    """A survey call whose session was lost with a restart: say goodbye and hang up."""

    def __init__(self, channel: Event, args: list[str], controller: Controller) -> None:
        super().__init__(channel, args, controller.clock)
        self.client = controller.client
        self.playback_id = f"{self.channel_id}-bye"

    async def start(self, resumed: bool = False) -> None:
        await self.client.play(self.channel_id, [f"sound:hotline/{PROMPT_GOODBYE}"], self.playback_id)

    async def on_PlaybackFinished(self, event: Event) -> None:
        if event.get("playback", {}).get("id") == self.playback_id:
            await self.client.hangup_if_present(self.channel_id)

    async def fail(self, exc: BaseException) -> None:
        await self.client.hangup_if_present(self.channel_id)


def _route_orphans(app: web.Application, controller: Controller) -> None:
    controller.route(SURVEY_ARGS, lambda channel, args: OrphanSurveySession(channel, args, controller))


async def _channels(app: web.Application) -> AsyncIterator[None]:
    """Runs after `sms_feedback.web`'s survey services exist (its cleanup context comes first)."""
    from ticketing.background import BACKGROUND

    settings = app[SETTINGS]
    sessions = app[SESSIONS]
    now = _now_of(app)
    channels = SqlSurveyChannels(sessions)
    store, ratings = app[SURVEY_STORE], app[WORK_ORDER_RATINGS]
    app[RATING_PAGE] = RatingPage(channels, store, ratings, link_secret(settings), now, TicketingMatters(app))

    task: asyncio.Task[None] | None = None
    try:
        surveys = _phone_surveys(app, channels, now) if CONTROLLER in app else None
    except PhoneSurveyConfigError as exc:  # the rest of the service still runs; say so loudly
        log.error("phone survey (电话回访) off: %s", exc.message)
        surveys = None
    if surveys is not None:
        app[PHONE_SURVEYS] = surveys
        if app.get(BACKGROUND, True):
            task = asyncio.create_task(surveys.run(), name="phone-survey")
            log.info("phone survey: due check every %s s, dialling %s", surveys.options.check_every_s, surveys.dial_template)
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _phone_surveys(app: web.Application, channels: SqlSurveyChannels, now: Callable[[], datetime]) -> PhoneSurveys | None:
    """The phone survey from HOTLINE_PHONE_SURVEY and HOTLINE_SURVEY_DIAL_TEMPLATE; None when turned off."""
    from ticketing.adapters.calendar_store import CalendarStore
    from ticketing.domain.calendar import OfficeHours
    from ticketing.services import StoredCalendar

    settings = app[SETTINGS]
    options = parse_phone_survey_options(settings.phone_survey, settings.timezone)
    if not options.enabled:
        log.info("phone survey (电话回访) turned off (HOTLINE_PHONE_SURVEY=off)")
        return None
    calendar = StoredCalendar(CalendarStore(app[SESSIONS]), OfficeHours.parse(settings.office_hours, settings.timezone))

    async def working_days() -> WorkingDays:
        return await calendar()

    return PhoneSurveys(
        channels, app[SURVEY_STORE], app[WORK_ORDER_RATINGS], working_days, app[CONTROLLER], options,
        dial_template=settings.survey_dial_template, now=now,
    )


def setup(app: web.Application) -> None:
    app.router.add_get(LINK_PATH, show)
    app.router.add_post(LINK_PATH, rate)
    register_call_plugin(app, _route_orphans)
    app.cleanup_ctx.append(_channels)

