"""The foundation through HTTP: health, headers, errors, language."""

from __future__ import annotations

import httpx


async def test_healthz_answers_once_the_database_does(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


async def test_every_response_carries_the_security_headers(client: httpx.AsyncClient) -> None:
    for path in ("/login", "/healthz", "/no-such-page"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"


async def test_not_found_page_is_in_the_users_language(client: httpx.AsyncClient) -> None:
    zh = await client.get("/no-such-page")
    assert zh.status_code == 404
    assert "找不到" in zh.text
    en = await client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert en.status_code == 404
    assert "Not found" in en.text
    assert '<html lang="en"' in en.text


async def test_api_errors_are_json_in_the_requested_language(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/token",
        content=b"{not json",
        headers={"Accept-Language": "en", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert "JSON" in response.json()["error"]["message"]
    zh = await client.post("/api/v1/auth/token", content=b"[]", headers={"Content-Type": "application/json"})
    assert zh.status_code == 400
    assert "JSON" in zh.json()["error"]["message"] and "必须" in zh.json()["error"]["message"]


async def test_oversized_body_is_refused_with_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/token", content=b"x" * (2 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


async def test_static_files_have_content_hashed_urls_and_long_cache(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    import re

    urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert any(u.endswith("htmx.min.js") for u in urls)
    for url in urls:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert "immutable" in response.headers["cache-control"]
    stale = await client.get("/static/000000000000/app.css")
    assert stale.status_code == 404
