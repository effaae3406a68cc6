"""Who is served now, who waits and who is turned away: the collector's request slots and stream places, shared
between client addresses so that their caps are work-conserving.

One address may use every idle slot (200 scrapers behind one address, 30 consoles behind one office NAT); its
cap applies only while another address waits (requests) or once every place is taken (streams):

- **Requests** (:class:`Slots`): a newcomer is served at once while a slot is free and nobody waits. Otherwise
  it waits, unread, in a bounded room; each slot that frees goes to the waiting address that holds the fewest
  slots (the oldest waiter first among equals). A waiter from an address under its cap makes an address over
  its cap give back one slot it holds only to read a request not yet sent (that one is cut). A full room
  turns away the newest waiter of the address with the most waiters — the newcomer itself when that is its
  own address.
- **Streams** (:class:`Places`): a stream opens while a place is free. Once every place is taken, a newcomer
  from an address under its cap takes the newest stream of the address furthest over its cap (that one is
  cut); otherwise it is refused.

Nothing here touches a socket or a clock: the server applies what these decide (serves, wakes, refuses, cuts).
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from enum import Enum


class Turn(Enum):
    WAITING = "waiting"
    SERVED = "served"
    REFUSED = "refused"
    LEFT = "left"


@dataclass(eq=False, slots=True)
class Ticket:
    """One connection's place in line (or one stream's place)."""

    address: str
    order: int
    turn: Turn = Turn.WAITING
    reading: bool = False
    """Served, and still reading its request (nothing asked yet): it may be cut for another address."""
    cut: bool = False
    """Told to give its slot (or place) back; it no longer counts as its address's."""


@dataclass(slots=True)
class Arrival:
    ticket: Ticket
    refused: list[Ticket] = field(default_factory=list)
    """Waiters turned away to make room (their connections are answered 503)."""
    cut: Ticket | None = None
    """A served connection to end, so that the newcomer's address gets its share."""


class Slots:
    """``total`` request slots; ``per_address`` what an address keeps while others wait; ``room`` waiters."""

    def __init__(self, total: int, per_address: int, room: int) -> None:
        self.total, self.per_address, self.room = max(1, total), max(1, per_address), max(1, room)
        self.serving: dict[str, list[Ticket]] = {}
        self.waiting: dict[str, deque[Ticket]] = {}
        self.in_service = 0
        self.queued = 0
        self._order = itertools.count()

    def held(self, address: str) -> int:
        """Slots ``address`` holds, not counting those told to give theirs back."""
        return sum(1 for t in self.serving.get(address, ()) if not t.cut)

    def arrive(self, address: str) -> Arrival:
        ticket = Ticket(address, next(self._order))
        if self.in_service < self.total and not self.queued:
            self._serve(ticket)
            return Arrival(ticket)
        arrival = Arrival(ticket)
        if self.queued >= self.room:
            fullest = max(self.waiting, key=lambda a: len(self.waiting[a]))
            if len(self.waiting.get(address, ())) >= len(self.waiting[fullest]):
                ticket.turn = Turn.REFUSED
                return arrival
            evicted = self.waiting[fullest][-1]
            self._unqueue(evicted)
            evicted.turn = Turn.REFUSED
            arrival.refused.append(evicted)
        self.waiting.setdefault(address, deque()).append(ticket)
        self.queued += 1
        arrival.cut = self._to_cut(address)
        return arrival

    def leave(self, ticket: Ticket) -> list[Ticket]:
        """``ticket`` is done (answered, closed, or gave up waiting); the waiters served in its place."""
        turn, ticket.turn = ticket.turn, Turn.LEFT
        if turn is Turn.WAITING:
            self._unqueue(ticket)
            return []
        if turn is not Turn.SERVED:
            return []
        held = self.serving[ticket.address]
        held.remove(ticket)
        if not held:
            del self.serving[ticket.address]
        self.in_service -= 1
        return self._grant()

    def _serve(self, ticket: Ticket) -> None:
        ticket.turn = Turn.SERVED
        self.serving.setdefault(ticket.address, []).append(ticket)
        self.in_service += 1

    def _unqueue(self, ticket: Ticket) -> None:
        line = self.waiting[ticket.address]
        line.remove(ticket)
        if not line:
            del self.waiting[ticket.address]
        self.queued -= 1

    def _grant(self) -> list[Ticket]:
        served = []
        while self.in_service < self.total and self.queued:
            address = min(self.waiting, key=lambda a: (self.held(a), self.waiting[a][0].order))
            ticket = self.waiting[address][0]
            self._unqueue(ticket)
            self._serve(ticket)
            served.append(ticket)
        return served

    def _to_cut(self, address: str) -> Ticket | None:
        """While ``address`` is under its cap and waits, an address over its cap gives back a slot it holds
        only to read a request not yet sent (the newest such): the per-address cap holds while others wait."""
        if self.in_service < self.total or self.held(address) >= self.per_address:
            return None
        over = [a for a in self.serving if self.held(a) > self.per_address]
        for heaviest in sorted(over, key=self.held, reverse=True):
            idle = [t for t in self.serving[heaviest] if t.reading and not t.cut]
            if idle:
                idle[-1].cut = True
                return idle[-1]
        return None


class Places:
    """``total`` event-stream places; ``per_address`` what an address keeps once every place is taken."""

    def __init__(self, total: int, per_address: int) -> None:
        self.total, self.per_address = max(1, total), max(1, per_address)
        self.open: dict[str, list[Ticket]] = {}
        self._order = itertools.count()

    def held(self, address: str) -> int:
        return sum(1 for t in self.open.get(address, ()) if not t.cut)

    @property
    def taken(self) -> int:
        return sum(map(self.held, self.open))

    def take(self, address: str) -> Arrival | None:
        """A place for a stream from ``address`` (``cut``: the stream that gives its place up), or ``None``."""
        cut = None
        if self.taken >= self.total:
            if self.held(address) >= self.per_address:
                return None
            over = [a for a in self.open if self.held(a) > self.per_address]
            if not over:
                return None
            heaviest = max(over, key=self.held)
            cut = [t for t in self.open[heaviest] if not t.cut][-1]
            cut.cut = True
        ticket = Ticket(address, next(self._order), Turn.SERVED)
        self.open.setdefault(address, []).append(ticket)
        return Arrival(ticket, cut=cut)

    def give_back(self, ticket: Ticket) -> None:
        streams = self.open.get(ticket.address, [])
        if ticket in streams:
            streams.remove(ticket)
            if not streams:
                del self.open[ticket.address]
        ticket.turn = Turn.LEFT
