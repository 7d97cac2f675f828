"""``flask mailserver``: a development inbox that prints the emails it receives."""
from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Callable
from typing import Any

import click


class PrintingInbox:
    """aiosmtpd handler that prints every message it receives."""

    def __init__(self, echo: Callable[[str], None] = click.echo) -> None:
        self.echo = echo

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain", "html"))
        self.echo("-" * 72)
        self.echo(f"From: {msg['From']}\nTo: {msg['To']}\nSubject: {msg['Subject']}\n")
        self.echo(body.get_content() if body is not None else "(no text part)")
        return "250 Message accepted for delivery"


def run_mailserver(host: str, port: int, stop: threading.Event, echo: Callable[[str], None] = click.echo) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(PrintingInbox(echo), hostname=host, port=port)
    controller.start()
    echo(f"Development inbox on {host}:{port}. Point the app at it with MAIL_SERVER={host} MAIL_PORT={port}.")
    try:
        stop.wait()
    finally:
        controller.stop()


@click.command("mailserver")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True)
def mailserver(host: str, port: int) -> None:
    """Run a local SMTP server that prints the emails it receives (Ctrl-C stops it)."""
    stop = threading.Event()
    try:
        run_mailserver(host, port, stop)
    except KeyboardInterrupt:
        stop.set()
