"""Who may call what: every role × every route of the running app, discovered from `app.router`.

The table below is the spec. Columns are the roles of `support.ROLES`:
anonymous, agent (话务员), handler (承办人, 县市场监督管理局), leader (单位负责人, same unit), supervisor (督查员),
admin (管理员), other (承办人 of ANOTHER unit, 县住房和城乡建设局). Each cell is one mark:

    +  let through: the role check passed (the answer may still be 200, 201, 400, 409 …, never 5xx)
    -  refused: 401/403, or a console page that sends the visitor to /login
    0  not found: 404 (an object of another unit is hidden, or the object does not exist for anyone)

Paths are filled with a work order, recording, knowledge entry and expert of 县市场监督管理局 (see
support.py), and POST bodies are valid ones, so a "+" is a real pass and not a 400 that happened first.
A route the table does not list fails the test: a new endpoint must be placed in the spec. (Rows of
routes the app does not serve are skipped: engineers land pages in parallel, the row may come first.)
"""

from __future__ import annotations

from typing import Any

from tests.integration.hostile.support import CALL_ID, ROLES, Hostile

#                                                       anon agent handler leader super admin other
MATRIX: dict[tuple[str, str], str] = {
    ("GET", "/healthz"):                                  "+ + + + + + +",
    ("GET", "/api/v1/openapi.json"):                      "+ + + + + + +",
    ("GET", "/api/v1/me"):                                "- + + + + + +",
    ("GET", "/api/v1/units"):                             "- + + + + + +",
    # the seat: hotline staff only; agents manage themselves, supervisors the membership
    ("GET", "/api/v1/seat/agents"):                       "- + - - + + -",
    ("POST", "/api/v1/seat/agents"):                      "- 0 - - 0 0 -",  # agent101 is not a seat member here
    ("POST", "/api/v1/seat/agents/{agent}/{action}"):     "- 0 - - 0 0 -",
    ("GET", "/api/v1/seat/members"):                      "- + - - + + -",
    ("POST", "/api/v1/seat/members"):                     "- - - - + + -",
    ("DELETE", "/api/v1/seat/members/{agent}"):           "- - - - + 0 -",  # the supervisor removes, then it is gone
    ("GET", "/api/v1/seat/stats"):                        "- + - - + + -",
    # calls (no live call exists here: allowed roles find nothing)
    ("GET", "/api/v1/calls"):                             "- + - - + + -",
    ("GET", "/api/v1/calls/{call_id}"):                   "- 0 - - 0 0 -",
    ("GET", "/api/v1/calls/{call_id}/draft"):             "- 0 - - 0 0 -",
    ("POST", "/api/v1/calls/{call_id}/expert"):           "- - - - 0 0 -",
    ("GET", "/api/v1/calls/{call_id}/expert"):            "- - - - + + -",
    ("POST", "/api/v1/calls/{call_id}/expert/{action}"):  "- - - - + + -",
    ("GET", "/api/v1/calls/{call_id}/live"):              "- 0 0 0 0 0 0",
    # work orders: the other unit's handler never sees this unit's order
    ("GET", "/api/v1/workorders"):                        "- + + + + + +",
    ("POST", "/api/v1/workorders"):                       "- + - - + + -",
    ("GET", "/api/v1/workorders/{ref}"):                  "- + + + + + 0",
    ("POST", "/api/v1/workorders/{ref}/register"):        "- + - - + + 0",
    ("POST", "/api/v1/workorders/{ref}/discard"):         "- + - - + + 0",
    ("POST", "/api/v1/workorders/{ref}/dispatch"):        "- + - - + + 0",
    ("POST", "/api/v1/workorders/{ref}/sign"):            "- - + + - - 0",
    ("POST", "/api/v1/workorders/{ref}/handle"):          "- - + + - - 0",
    ("POST", "/api/v1/workorders/{ref}/reply"):           "- - + + - - 0",
    ("POST", "/api/v1/workorders/{ref}/close"):           "- + - - + + 0",
    ("POST", "/api/v1/workorders/{ref}/return"):          "- - + + - - 0",
    ("POST", "/api/v1/workorders/{ref}/evaluate"):        "- + - - + + 0",
    ("POST", "/api/v1/workorders/{ref}/reopen"):          "- - - - + + 0",
    ("POST", "/api/v1/workorders/{ref}/supervise"):       "- - - - + + 0",
    ("POST", "/api/v1/workorders/{ref}/extensions"):      "- - + + - - 0",
    ("POST", "/api/v1/workorders/{ref}/extensions/approve"): "- - - - + + 0",
    ("POST", "/api/v1/workorders/{ref}/extensions/reject"):  "- - - - + + 0",
    ("GET", "/api/v1/kpi"):                               "- + + + + + +",
    # SMS: Twilio's webhooks need Twilio's signature, not a role (unsigned → 403 for everyone)
    ("POST", "/sms/twilio/inbound"):                      "- - - - - - -",
    ("POST", "/sms/twilio/status"):                       "- - - - - - -",
    # the rating link page: the signed link is the capability (none here), never a role
    ("GET", "/r/{token}"):                                "- - - - - - -",
    ("POST", "/r/{token}"):                               "- - - - - - -",
    ("GET", "/api/v1/sms/outbox"):                        "- + - - + + -",
    # knowledge base: everyone reads; units keep their own entries
    ("POST", "/api/v1/kb/entries"):                       "- + + + + + +",
    ("GET", "/api/v1/kb/entries"):                        "- + + + + + +",
    ("GET", "/api/v1/kb/entries/{id}"):                   "- + + + + + +",
    ("PATCH", "/api/v1/kb/entries/{id}"):                 "- - + + + + -",
    ("POST", "/api/v1/kb/entries/{id}/hits"):             "- + + + + + +",
    ("GET", "/api/v1/kb/search"):                         "- + + + + + +",
    ("POST", "/api/v1/kb/suggest"):                       "- + + + + + +",
    ("GET", "/api/v1/kb/units/{unit_id}/expired"):        "- - + + + + -",
    ("GET", "/api/v1/kb/units/{unit_id}/frequent"):       "- + + + + + +",
    ("GET", "/api/v1/experts"):                           "- + + + + + +",
    ("POST", "/api/v1/experts"):                          "- - - - + + -",
    ("GET", "/api/v1/experts/{id}"):                      "- + + + + + +",
    ("PATCH", "/api/v1/experts/{id}"):                    "- - - - + + -",
    ("DELETE", "/api/v1/experts/{id}"):                   "- - - - + + -",
    # recordings: the unit of the call's work order, supervisors and admins; never another unit
    ("GET", "/api/v1/recordings"):                        "- - + + + + -",
    ("GET", "/api/v1/recordings/{id}"):                   "- - + + + + -",
    ("GET", "/api/v1/recordings/{id}/download"):          "- - + + + + -",
    ("POST", "/api/v1/recordings/{id}/legal-hold"):       "- - - - + + -",
    # console pages (session cookie + CSRF)
    ("GET", "/"):                                         "- + + + + + +",
    ("GET", "/unit/inbox"):                               "- + + + + + +",  # hotline staff see every unit's
    ("GET", "/unit/orders/{ref}"):                        "- + + + + + -",
    ("POST", "/unit/orders/{ref}/{action}"):              "- - + + - - -",
    ("GET", "/supervise"):                                "- - - - + + -",
    ("GET", "/admin/users"):                              "- - - - - + -",
    ("POST", "/admin/users/{op}"):                        "- - - - - + -",
    ("GET", "/admin/units"):                              "- - - - - + -",
    ("POST", "/admin/units/{op}"):                        "- - - - - + -",
    ("GET", "/admin/calendar"):                           "- - - - - + -",
    ("POST", "/admin/calendar/{op}"):                     "- - - - - + -",
    ("GET", "/admin/menu"):                               "- - - - + + -",
    ("GET", "/kb"):                                       "- - + + + + +",  # agents use the API (agent console)
    ("GET", "/kb/new"):                                   "- - + + + + +",
    ("POST", "/kb/new"):                                  "- - + + + + +",
    ("GET", "/kb/{entry_id}"):                            "- - + + + + +",
    ("GET", "/kb/{entry_id}/edit"):                       "- - + + + + -",
    ("POST", "/kb/{entry_id}/edit"):                      "- - + + + + -",
    ("GET", "/experts"):                                  "- + + + + + +",
    ("GET", "/experts/new"):                              "- - - - + + -",
    ("POST", "/experts/new"):                             "- - - - + + -",
    ("GET", "/experts/{expert_id}/edit"):                 "- - - - + + -",
    ("POST", "/experts/{expert_id}/edit"):                "- - - - + + -",
    ("POST", "/experts/{expert_id}/active"):              "- - - - + + -",
    ("GET", "/sms"):                                      "- + - - + + -",
    ("GET", "/seat/wall"):                                "- - - - + + -",
    ("GET", "/seat/wall/data"):                           "- - - - + + -",
    ("GET", "/agent"):                                    "- + - - + + -",
    ("GET", "/reports"):                                  "- - - - + + -",
    ("POST", "/reports/run"):                             "- - - - + + -",
    ("GET", "/reports/ranking"):                          "- - - - + + -",
    ("GET", "/reports/ranking.csv"):                      "- - - - + + -",
    ("GET", "/reports/files/{name}/{file}"):              "- - - - 0 0 -",  # no report generated here
    ("GET", "/api/v1/reviews/rectifications"):           "- + + + + + +",  # lists: unit staff see their unit
    ("GET", "/api/v1/reviews/bad-reviews"):               "- + + + + + +",
    ("GET", "/api/v1/reviews/responsibilities"):          "- + + + + + +",
    ("GET", "/api/v1/reviews/unrated"):                   "- + + + + + +",
    ("GET", "/api/v1/reviews/figures"):                   "- + + + + + +",
    ("GET", "/api/v1/reviews/{id}"):                      "- 0 0 0 0 0 0",  # no review exists here
    ("POST", "/api/v1/reviews/{id}/rectified"):           "- - 0 0 0 0 0",
    ("POST", "/api/v1/reviews/{id}/close"):               "- - - - 0 0 -",
    ("GET", "/reports/accountability"):                   "- - - - + + -",
    ("GET", "/unit/reviews"):                             "- - + + + + +",
    ("POST", "/unit/reviews/{review_id}/{action}"):       "- - 0 0 0 0 0",
    ("GET", "/agent/ws"):                                 "- - - - - - -",  # a plain GET without Origin/upgrade
}

# Signing in and out change the session the matrix relies on; they are checked by the console's own tests.
SESSION_ROUTES = {("GET", "/login"), ("POST", "/login"), ("POST", "/logout")}


def routes(app: Any) -> list[tuple[str, str]]:
    """Every (method, path template) the app serves, HEAD and static files aside."""
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter")
        if route.method == "HEAD" or path is None:
            continue  # HEAD mirrors GET; static folders have only a prefix
        found.append((route.method, str(path)))
    return found


def concrete(h: Hostile, path: str) -> str:
    values = {
        "ref": h.ids["ref"],
        "call_id": CALL_ID,
        "agent": "agent101",
        "unit_id": str(h.units["scjgj"]),
        "entry_id": h.ids["entry"],
        "expert_id": h.ids["expert"],
        "review_id": "1",
        "name": "2026-10",
        "file": "report.pdf",
        "token": "not-a-signed-link",  # /r/{token}: the rating link page refuses it (403)
    }
    if path.startswith("/api/v1/recordings/"):
        values["id"] = h.ids["recording"]
    elif path.startswith("/api/v1/experts/"):
        values["id"] = h.ids["expert"]
    elif path.startswith("/api/v1/reviews/"):
        values["id"] = "1"  # no review exists here: allowed roles find nothing
    else:
        values["id"] = h.ids["entry"]
    if "/expert/" in path:
        values["action"] = "join"
    elif path.startswith("/api/v1/seat/agents/"):
        values["action"] = "pause"
    elif path.startswith("/unit/orders/"):
        values["action"] = "sign"
    elif path.startswith("/unit/reviews/"):
        values["action"] = "rectified"
    values["op"] = "create" if "/users/" in path or "/units/" in path else "override"
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


def body(h: Hostile, method: str, path: str) -> dict[str, Any]:
    """A valid body for each write, so a pass is not hidden behind a 400."""
    action = path.rsplit("/", 1)[-1]
    bodies: dict[str, dict[str, Any]] = {
        "/api/v1/workorders": {"source": "call", "caller_phone": "13900001111", "title": "咨询", "content": "来电咨询"},
        "register": {"class": "complaint", "service": "complaint", "complexity": "general"},
        "discard": {"reason": "重复来电"},
        "dispatch": {"unit_id": h.units["scjgj"]},
        "reply": {"reply": "已答复企业"},
        "close": {"result": "已办结", "reason": "督办结束"},  # a work order's, a review's
        "return": {"reason": "不属于本单位职责"},
        "evaluate": {"rating": "satisfied"},
        "reopen": {"reason": "企业不满意"},
        "supervise": {"reason": "督办"},
        "extensions": {"working_days": 3, "reason": "需现场核查", "basis": "核查规定"},
        "reject": {"note": "理由不足"},
        "approve": {"note": "同意"},
        "/api/v1/kb/entries": {"title": "食品许可变更", "question": "怎么变更", "answer": "网上办理。"},
        "suggest": {"text": "我想问一下营业执照怎么办理"},
        "/api/v1/experts": {"name": "钱专家", "contact": "PJSIP/expert209", "topics": ["食品安全"]},
        "legal-hold": {"hold": True, "reason": "投诉调查"},
        "/api/v1/seat/agents": {"action": "pause", "agent": "agent101"},
        "/api/v1/seat/members": {"agent": "agent101", "endpoint": "PJSIP/agent101"},
        "expert": {"topic": "食品安全"},
        "rectified": {"text": "已整改并回访"},
    }
    if path.startswith("/api/v1/kb/entries/") and method == "PATCH":
        return {"answer": "网上办理（更新）。"}
    if path.startswith("/api/v1/experts/") and method == "PATCH":
        return {"topics": ["食品安全", "餐饮"]}
    return bodies.get(path, bodies.get(action, {}))


def query(h: Hostile, path: str) -> dict[str, str]:
    return {
        "/api/v1/kpi": {"period": "2026-11"},
        "/api/v1/kb/search": {"q": "营业执照"},
        "/api/v1/recordings": {"call_id": CALL_ID},
    }.get(path, {})


async def outcome(h: Hostile, who: str, method: str, template: str) -> str:
    url = concrete(h, template)
    if url.startswith(("/api/", "/sms/", "/healthz")):
        kwargs: dict[str, Any] = {"params": query(h, url)}
        if method in ("POST", "PATCH"):
            kwargs["json"] = body(h, method, url)
        resp = await h.api(who, method, url, **kwargs)
    else:
        resp = await h.page(who, method, url, data={} if method == "POST" else None)
    status = resp.status
    assert status < 500, f"{method} {template} as {who}: {status} {await resp.text()}"
    if status in (401, 403) or (status in (302, 303) and resp.headers.get("Location", "").startswith("/login")):
        return "-"
    return "0" if status == 404 else "+"


async def test_every_route_answers_every_role_as_the_table_says(hostile: Hostile) -> None:
    served = [r for r in routes(hostile.app) if r not in SESSION_ROUTES]
    unknown = [r for r in served if r not in MATRIX]
    assert not unknown, f"routes with no expectation in MATRIX (add them): {unknown}"
    wrong = []
    for method, template in served:
        got = " ".join([await outcome(hostile, who, method, template) for who in ROLES])
        if got != MATRIX[(method, template)]:
            wrong.append(f"{method:6} {template:48} expected {MATRIX[(method, template)]}   got {got}")
    assert not wrong, "columns: " + " ".join(ROLES) + "\n" + "\n".join(wrong)
