"""The OpenAPI description matches the routes the app really serves."""

from __future__ import annotations

import re
from typing import Any

from hotline.app import create_app
from hotline.settings import Settings


def _api_routes(app: Any) -> set[tuple[str, str]]:
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


async def test_every_api_route_is_described_and_every_description_is_served(
    aiohttp_client, settings: Settings
) -> None:
    app = create_app(settings)
    client = await aiohttp_client(app)
    resp = await client.get("/api/v1/openapi.json")
    assert resp.status == 200
    doc = await resp.json()
    assert doc["openapi"].startswith("3.")
    described = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    served = _api_routes(app)
    assert served - described == set(), "routes without a description"
    assert described - served == set(), "descriptions without a route"
    for path, ops in doc["paths"].items():
        for name in re.findall(r"{(\w+)}", path):
            for op in ops.values():
                assert any(p["name"] == name and p["in"] == "path" for p in op.get("parameters", [])), (
                    path,
                    name,
                )
        for op in ops.values():
            assert op["summary"] and op["responses"]


async def test_every_schema_reference_resolves(aiohttp_client, settings: Settings) -> None:
    client = await aiohttp_client(create_app(settings))
    doc = await (await client.get("/api/v1/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    for ref in _refs(doc):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
