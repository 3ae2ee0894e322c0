"""E-mail through the deployment's SMTP server, with the standard library only.

Nothing is configured by default: without ``MAIL_SERVER`` no e-mail is sent and
reminders are shown in the app only. The settings (``MAIL_SERVER``, ``MAIL_PORT``,
``MAIL_USE_TLS`` for STARTTLS, ``MAIL_USE_SSL`` for SMTPS, ``MAIL_USERNAME``,
``MAIL_PASSWORD``, ``MAIL_FROM``) are read by the caller and passed in.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

logger = logging.getLogger(__name__)

#: Seconds to wait for the SMTP server before giving up on this run.
SMTP_TIMEOUT = 20


class MailError(Exception):
    """The SMTP server could not be reached or refused the session (nothing was sent)."""


@dataclass(frozen=True, slots=True)
class MailSettings:
    server: str
    port: int
    use_tls: bool
    use_ssl: bool
    username: str
    password: str
    sender: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings | None:
        """The settings, or None when no SMTP server is configured."""
        server = str(config.get("MAIL_SERVER") or "")
        if not server:
            return None
        use_ssl = bool(config.get("MAIL_USE_SSL"))
        return cls(
            server=server,
            port=int(config.get("MAIL_PORT") or (465 if use_ssl else 25)),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            use_ssl=use_ssl,
            username=str(config.get("MAIL_USERNAME") or ""),
            password=str(config.get("MAIL_PASSWORD") or ""),
            sender=str(config.get("MAIL_FROM") or ""),
        )


@dataclass(frozen=True, slots=True)
class Mail:
    """One message to one address (plain text)."""

    to: str
    subject: str
    body: str


def _message(settings: MailSettings, mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(mail.body)
    return message


def _connect(settings: MailSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if settings.use_ssl:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.server, settings.port, timeout=SMTP_TIMEOUT, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.server, settings.port, timeout=SMTP_TIMEOUT)
        if settings.use_tls:
            smtp.starttls(context=context)
    if settings.username:
        smtp.login(settings.username, settings.password)
    return smtp


def send_mails(
    settings: MailSettings,
    mails: Sequence[Mail],
    on_sent: Callable[[int], None],
    on_refused: Callable[[int, str], None],
) -> None:
    """Send each mail over one SMTP session, reporting each outcome by index.

    A recipient the server refuses is reported to ``on_refused`` and the others still go.
    Raises :class:`MailError` when the server cannot be reached or the session fails;
    the mails not reported as sent by then were not sent.
    """
    if not mails:
        return
    try:
        with _connect(settings) as smtp:
            for index, mail in enumerate(mails):
                try:
                    smtp.send_message(_message(settings, mail))
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as error:
                    logger.warning("mail %d refused by the SMTP server: %s", index, error)
                    on_refused(index, str(error))
                else:
                    on_sent(index)
    except (OSError, smtplib.SMTPException) as error:
        # OSError covers a refused connection, a timeout and a failed TLS handshake.
        logger.warning("SMTP server %s:%s: %s", settings.server, settings.port, error)
        raise MailError(f"{settings.server}:{settings.port}: {error}") from error
