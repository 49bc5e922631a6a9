"""The OpenAPI description matches the routes the app really serves."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from hotline.app import SESSIONS, SETTINGS, create_app
from hotline.db import make_engine, make_sessionmaker
from hotline.settings import Settings
from ticketing import web as ticketing_web


def _api_routes(app: web.Application) -> set[tuple[str, str]]:
    routes = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter")
        if path and path.startswith("/api/v1") and route.method != "HEAD":
            routes.add((route.method.lower(), path))
    return routes


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


async def _document(aiohttp_client, app: web.Application) -> dict[str, Any]:
    client = await aiohttp_client(app)
    resp = await client.get("/api/v1/openapi.json")
    assert resp.status == 200
    return await resp.json()


async def test_every_work_order_route_is_fully_described(aiohttp_client, settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    app = web.Application()
    app[SETTINGS] = settings
    app[SESSIONS] = make_sessionmaker(engine)
    ticketing_web.setup(app)
    doc = await _document(aiohttp_client, app)
    await engine.dispose()
    assert doc["openapi"].startswith("3.")
    described = {
        (m, p) for p, ops in doc["paths"].items() for m, op in ops.items() if not op.get("x-generated")
    }
    assert _api_routes(app) == described
    for path, ops in doc["paths"].items():
        for op in ops.values():
            assert op["summary"] and op["responses"]
            for name in re.findall(r"{(\w+)}", path):
                assert any(p["name"] == name and p["in"] == "path" for p in op["parameters"]), (path, name)


async def test_the_whole_service_is_listed_and_nothing_described_is_missing(
    aiohttp_client, settings: Settings
) -> None:
    app = create_app(settings)
    doc = await _document(aiohttp_client, app)
    described = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert described == _api_routes(app)
    schemas = doc["components"]["schemas"]
    for ref in _refs(doc):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
