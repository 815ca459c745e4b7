"""Delivery channels beyond the in-app inbox: e-mail over SMTP, and SMS/WeChat through an adapter.

The inbox needs no channel: a notification row is its inbox entry. Every other channel implements
`Channel.send(message)` and returns a short detail for the delivery log, or raises `DeliveryFailed`.
SMS and WeChat have no real provider here: `LoggingChannel` writes what would be sent to the
`agora.notify` logger, so an operator can wire a provider by adding one class with the same method.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from starlette.concurrency import run_in_threadpool

log = logging.getLogger("agora.notify")


@dataclass(frozen=True)
class Message:
    """What one member is told: a subject, a plain-text body and the link to act on."""

    user_id: int
    email: str | None
    phone: str | None
    subject: str
    body: str
    url: str


class DeliveryFailed(Exception):
    """The channel could not pass the message on: logged as a failed delivery, tried again later
    (`rules.RETRY_AFTER`) while the notification is still needed."""


class Channel(Protocol):
    name: str

    def reaches(self, message: Message) -> bool: ...

    async def send(self, message: Message) -> str: ...


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    sender: str = "agora@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0


class EmailChannel:
    name = "email"

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def reaches(self, message: Message) -> bool:
        return bool(message.email)

    def _send_sync(self, message: Message) -> str:
        mail = EmailMessage()
        mail["From"] = self.config.sender
        mail["To"] = message.email or ""
        mail["Subject"] = message.subject
        mail.set_content(f"{message.body}\n\n{message.url}\n")
        try:
            with smtplib.SMTP(self.config.host, self.config.port, timeout=self.config.timeout) as smtp:
                if self.config.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.config.user:
                    smtp.login(self.config.user, self.config.password or "")
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryFailed(f"smtp: {type(error).__name__}") from error
        return "sent"

    async def send(self, message: Message) -> str:
        return await run_in_threadpool(self._send_sync, message)


class LoggingChannel:
    """The SMS or WeChat adapter's stand-in: logs the message instead of calling a provider."""

    def __init__(self, name: str) -> None:
        self.name = name

    def reaches(self, message: Message) -> bool:
        return bool(message.phone) if self.name == "sms" else True

    async def send(self, message: Message) -> str:
        log.info(
            "notify %s to user %s: %s %s",
            self.name,
            message.user_id,
            message.subject,
            message.url,
            extra={"channel": self.name, "user_id": message.user_id},
        )
        return "logged"


def build_channels(names: tuple[str, ...], smtp: SmtpConfig | None) -> list[Channel]:
    """The outside channels the operator turned on (`AGORA_NOTIFY_CHANNELS`), in order."""
    channels: list[Channel] = []
    for name in names:
        if name == "email" and smtp is not None:
            channels.append(EmailChannel(smtp))
        elif name in ("sms", "wechat"):
            channels.append(LoggingChannel(name))
    return channels
