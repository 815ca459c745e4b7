"""The member's notifications ("what needs me now") and their reminder addresses: pages and JSON."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from agora.errors import DomainError, Invalid
from agora.i18n import _
from agora.notify import services
from agora.web.http import json_response, no_content, read_form, read_json, redirect, require_user
from agora.web.templating import render


async def notifications_page(request: Request) -> Response:
    items, unread = await services.inbox(require_user(request))
    return render(request, "notify/notifications.html", {"items": items, "unread": unread})


async def notifications_read_submit(request: Request) -> Response:
    await services.mark_read(require_user(request))
    return redirect("/notifications")


async def contact_page(request: Request) -> Response:
    user = require_user(request)
    context = {
        "contact": await services.contact_of(user),
        "error": None,
        "done": request.query_params.get("done"),
    }
    return render(request, "notify/contact.html", context)


async def contact_submit(request: Request) -> Response:
    user = require_user(request)
    form = await read_form(request)
    email, phone = str(form.get("email") or "")[:254], str(form.get("phone") or "")[:32]
    try:
        await services.set_contact(user, email, phone)
    except DomainError as error:
        context = {"contact": {"email": email, "phone": phone}, "error": error.message, "done": None}
        return render(request, "notify/contact.html", context, status=error.status)
    return redirect("/settings/notifications?done=1")


async def api_notifications(request: Request) -> Response:
    items, unread = await services.inbox(require_user(request))
    return json_response({"notifications": [services.notification_json(i) for i in items], "unread": unread})


async def api_notifications_read(request: Request) -> Response:
    await services.mark_read(require_user(request))
    return no_content()


async def api_contact_get(request: Request) -> Response:
    return json_response(await services.contact_of(require_user(request)))


async def api_contact_put(request: Request) -> Response:
    user = require_user(request)
    data = await read_json(request)
    email, phone = data.get("email") or "", data.get("phone") or ""
    if not isinstance(email, str) or not isinstance(phone, str):
        raise Invalid(_("Please check the e-mail address and the phone number."), fields={"email": "invalid"})
    return json_response(await services.set_contact(user, email[:254], phone[:32]))


routes: list[BaseRoute] = [
    Route("/notifications", notifications_page, methods=["GET"]),
    Route("/notifications/read", notifications_read_submit, methods=["POST"]),
    Route("/settings/notifications", contact_page, methods=["GET"]),
    Route("/settings/notifications", contact_submit, methods=["POST"]),
    Route("/api/v1/notifications", api_notifications, methods=["GET"]),
    Route("/api/v1/notifications/read", api_notifications_read, methods=["POST"]),
    Route("/api/v1/me/contact", api_contact_get, methods=["GET"]),
    Route("/api/v1/me/contact", api_contact_put, methods=["PUT"]),
]
