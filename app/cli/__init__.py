"""The app's own ``flask`` commands: ``seed``, ``mailserver`` and ``alerts``."""
from __future__ import annotations

from app.cli.alerts import alerts
from app.cli.mailserver import PrintingInbox, mailserver, run_mailserver
from app.cli.seed import seed

__all__ = ["PrintingInbox", "alerts", "mailserver", "run_mailserver", "seed"]
