"""`hotline survey …` subcommands: read a reply the way the service would, preview a survey SMS."""

from __future__ import annotations

import argparse
import json

from sms_feedback.domain.errors import SurveyTooLong
from sms_feedback.domain.reply import parse_reply
from sms_feedback.domain.wording import SurveyItem, count_segments, merged_survey_sms


def _parse_reply(args: argparse.Namespace) -> int:
    parsed = parse_reply(args.text)
    print(parsed.rating.value)
    if args.explain:
        print(
            json.dumps(
                {
                    "comment": parsed.comment,
                    "reason": parsed.reason,
                    "work_order_ref": parsed.work_order_ref,
                    "cues": list(parsed.cues),
                },
                ensure_ascii=False,
            )
        )
    return 0


def _wording(args: argparse.Namespace) -> int:
    if len(args.number) != len(args.matter):
        print("每个 --number 需要一个对应的 --matter")
        return 2
    items = [SurveyItem(n, m) for n, m in zip(args.number, args.matter, strict=True)]
    try:
        body = merged_survey_sms(items, args.link)
    except SurveyTooLong as exc:
        print(f"短信过长: {exc.message}")
        return 1
    count = count_segments(body)
    print(body)
    print(f"编码 {count.encoding}，{count.units} 字符单位，{count.segments} 条")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    survey = sub.add_parser("survey", help="satisfaction surveys by SMS (满意度回访)")
    commands = survey.add_subparsers(dest="survey_command", required=True)
    parse = commands.add_parser(
        "parse-reply",
        help="print how a reply is read: satisfied, basically_satisfied, dissatisfied, opt_out or unclear",
    )
    parse.add_argument("text", help="the SMS reply, e.g. '3 办得太慢'")
    parse.add_argument("--explain", action="store_true", help="also print the comment and the reason (JSON)")
    parse.set_defaults(func=_parse_reply)
    wording = commands.add_parser("wording", help="preview the survey SMS and count its segments")
    wording.add_argument("--number", action="append", required=True, help="work-order number (repeatable)")
    wording.add_argument("--matter", action="append", required=True, help="the matter (repeatable)")
    wording.add_argument("--link", default=None, help="rating link to include")
    wording.set_defaults(func=_wording)
