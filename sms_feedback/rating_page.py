"""The rating link page (评价链接页面): `GET /r/{token}` shows the work order and three big buttons,
`POST /r/{token}` records the rating once with channel `web`.

The signed, expiring link token (`domain/rating_link.py`) is the capability: no login, no CSRF token
(a forged cross-site post could only rate with a link the forger already holds). Only form posts are
taken. Outcomes, each a page in Simplified Chinese:

| request | status | page |
|---|---|---|
| genuine link, open survey | 200 | the form (work-order number, matter, 满意 / 基本满意 / 不满意, optional comment) |
| rating recorded | 200 | 感谢您的评价 |
| survey already rated (by SMS, phone or this page) | 200 on GET, 409 on POST | 已评价 |
| altered or foreign link | 403 | 链接无效 |
| expired link, or a survey closed (opted out, expired, unreachable) | 410 | 链接已过期 / 评价已关闭 |
| not a form, no rating chosen, comment too long | 415 / 400 | the form again with the problem (nothing stored) |

Pages are never cached and never send the link on as a Referer (the token is in the URL).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import jinja2
from aiohttp import web

from sms_feedback.adapters.orm import SurveyRow
from sms_feedback.adapters.survey_channels import SqlSurveyChannels
from sms_feedback.adapters.survey_store import OPEN_STATES, SqlSurveyStore
from sms_feedback.domain.rating_link import RatingLinkExpired, RatingLinkInvalid, verify_link
from sms_feedback.domain.reply import Rating
from sms_feedback.survey_rating import record_rating
from sms_feedback.survey_replies import WorkOrderRatings

log = logging.getLogger(__name__)

LINK_PATH = "/r/{token}"
COMMENT_MAX = 200
"""Characters of comment kept with a web rating (意见最多200字)."""
CHOICES = (
    (Rating.SATISFIED, "满意"),
    (Rating.BASICALLY_SATISFIED, "基本满意"),
    (Rating.DISSATISFIED, "不满意"),
)
RATING_WORDS = {rating.value: words for rating, words in CHOICES}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
}
TEMPLATES_DIR = Path(__file__).with_name("templates")


class WorkOrderMatters(Protocol):
    """The matter (诉求事项) of a work order in a few words, when the survey does not carry it."""

    async def matter(self, workorder_number: str) -> str | None: ...


@dataclass(frozen=True)
class _Notice:
    status: int
    title: str
    message: str


INVALID = _Notice(403, "链接无效", "该评价链接无效，请核对短信中的链接，或致电12345。")
EXPIRED = _Notice(410, "链接已过期", "该评价链接已过期。如需评价或反映问题，请致电12345。")
CLOSED = _Notice(410, "评价已关闭", "该工单的评价已关闭。如需反映问题，请致电12345。")
NOT_A_FORM = _Notice(415, "提交方式有误", "请在评价页面上点击按钮提交评价。")


def templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class RatingPage:
    """The two handlers of the rating link, over the survey tables and ticketing's ratings port."""

    def __init__(
        self,
        channels: SqlSurveyChannels,
        store: SqlSurveyStore,
        work_orders: WorkOrderRatings,
        secret: str,
        now: Callable[[], datetime],
        matters: WorkOrderMatters | None = None,
    ) -> None:
        if not secret:
            raise ValueError("the rating page needs the rating-link secret")
        self.channels = channels
        self.store = store
        self.work_orders = work_orders
        self.secret = secret
        self.now = now
        self.matters = matters
        self.env = templates()

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get(LINK_PATH, self.show)
        router.add_post(LINK_PATH, self.rate)

    async def show(self, request: web.Request) -> web.Response:
        survey = await self._survey(request.match_info["token"])
        if isinstance(survey, _Notice):
            return self._notice(survey)
        if survey.state == "rated":
            return await self._rated(survey, 200)
        return await self._form(survey, 200)

    async def rate(self, request: web.Request) -> web.Response:
        survey = await self._survey(request.match_info["token"])
        if isinstance(survey, _Notice):
            return self._notice(survey)
        if request.content_type not in FORM_TYPES:
            return self._notice(NOT_A_FORM)
        form = await request.post()
        chosen = str(form.get("rating", ""))
        comment = str(form.get("comment", "")).strip()
        if survey.state == "rated":
            return await self._rated(survey, 409)
        if chosen not in RATING_WORDS:
            return await self._form(survey, 400, error="请选择一项评价：满意、基本满意或不满意。", comment=comment)
        if len(comment) > COMMENT_MAX:
            return await self._form(
                survey, 400, error=f"意见最多{COMMENT_MAX}字，当前{len(comment)}字，请精简后再提交。", comment=comment
            )
        recorded = await record_rating(
            self.store,
            self.work_orders,
            survey_id=survey.id,
            workorder_number=survey.workorder_number,
            rating=Rating(chosen),
            channel="web",
            at=self.now(),
            comment=comment or None,
        )
        if not recorded:  # rated meanwhile (a reply or a call), or closed
            fresh = await self.channels.by_id(survey.id)
            if fresh is not None and fresh.state == "rated":
                return await self._rated(fresh, 409)
            return self._notice(CLOSED)
        return self._page(
            200,
            view="done",
            title="感谢您的评价",
            number=survey.workorder_number,
            rating_words=RATING_WORDS[chosen],
            dissatisfied=chosen == Rating.DISSATISFIED.value,
        )

    # --- helpers ---
    async def _survey(self, link_token: str) -> SurveyRow | _Notice:
        try:
            survey_token = verify_link(link_token, self.secret, self.now())
        except RatingLinkExpired:
            return EXPIRED
        except RatingLinkInvalid:
            return INVALID
        survey = await self.channels.by_token(survey_token)
        if survey is None:
            log.warning("a genuine rating link names no survey (%.8s…)", survey_token)
            return CLOSED
        if survey.state != "rated" and survey.state not in OPEN_STATES:
            return CLOSED
        return survey

    async def _matter(self, survey: SurveyRow) -> str | None:
        if survey.matter:
            return survey.matter
        if self.matters is None:
            return None
        try:
            return await self.matters.matter(survey.workorder_number)
        except Exception:  # the page still works without the matter
            log.exception("matter of %s not found", survey.workorder_number)
            return None

    async def _form(self, survey: SurveyRow, status: int, *, error: str | None = None, comment: str = "") -> web.Response:
        return self._page(
            status,
            view="form",
            title="办理结果评价",
            number=survey.workorder_number,
            matter=await self._matter(survey),
            choices=[(rating.value, words) for rating, words in CHOICES],
            comment=comment,
            comment_max=COMMENT_MAX,
            error=error,
        )

    async def _rated(self, survey: SurveyRow, status: int) -> web.Response:
        return self._page(
            status,
            view="rated",
            title="已评价",
            number=survey.workorder_number,
            rating_words=RATING_WORDS.get(survey.rating or "", ""),
        )

    def _notice(self, notice: _Notice) -> web.Response:
        return self._page(notice.status, view="notice", title=notice.title, message=notice.message)

    def _page(self, status: int, **context: Any) -> web.Response:
        defaults: dict[str, Any] = {
            "number": None, "matter": None, "choices": [], "comment": "", "comment_max": COMMENT_MAX,
            "error": None, "message": None, "rating_words": None, "dissatisfied": False,
        }
        body = self.env.get_template("rate.html").render({**defaults, **context})
        return web.Response(status=status, text=body, content_type="text/html", charset="utf-8", headers=HEADERS)
