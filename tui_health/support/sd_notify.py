"""systemd's notify protocol (``Type=notify``, ``WatchdogSec=``): one datagram of ``KEY=value`` lines to the
``AF_UNIX`` socket named by ``$NOTIFY_SOCKET`` (a leading ``@`` is the abstract namespace). The standard library
is enough; telling systemd never fails the monitor (a lost datagram is systemd's to notice)."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


class Notifier:
    """Says READY, WATCHDOG, STOPPING and a STATUS line to systemd; does nothing when not run by it."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        path = env.get("NOTIFY_SOCKET", "")
        self.address = ("\0" + path[1:]) if path.startswith("@") else path
        usec = env.get("WATCHDOG_USEC", "")
        self.watchdog_every = int(usec) / 1e6 / 2 if usec.isdigit() and int(usec) > 0 else None
        """Seconds between watchdog pings: half of ``WatchdogSec`` (``None``: no watchdog asked for)."""
        self.sent: list[str] = []

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, *fields: str) -> bool:
        if not self.address:
            return False
        message = "\n".join(fields)
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.setblocking(False)  # a reader that does not read never stalls the event loop
                sock.sendto(message.encode(), self.address)
        except OSError:
            return False
        self.sent.append(message)
        return True

    def ready(self, status: str) -> bool:
        return self.send("READY=1", f"STATUS={status}")

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def stopping(self) -> bool:
        return self.send("STOPPING=1")
