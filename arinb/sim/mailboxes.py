"""``/mailboxes``: mailboxes controlled through ARI (res_mwi_external), as Asterisk 22.10.1 answers them.

Observed on a real Asterisk 22.10.1 (arinb simops probe, 2026-12-06): ``PUT /mailboxes/{name}`` creates or
updates with 204 (``oldMessages``/``newMessages`` read as C's ``atoi``: missing or "abc" is 0, -1 stays -1);
``GET`` lists ``{"name", "old_messages", "new_messages"}`` by name; an unknown mailbox is 404 "Mailbox is
does not exist" on GET (Asterisk's words) and "Mailbox does not exist" on DELETE.

>>> import asyncio
>>> from arinb.sim.clock import Clock
>>> from arinb.sim.engine import SimEngine
>>> engine = SimEngine(clock=Clock.manual(start=0.0))
>>> asyncio.run(engine.handle("mailboxes.get", {"mailboxName": "1000"})).body
{'message': 'Mailbox is does not exist'}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arinb.sim.protocol import Handler, Reply, Request, error

if TYPE_CHECKING:
    from arinb.sim.services import Services

__all__ = ["Mailboxes"]


class Mailboxes:
    """Mailboxes by name: (old, new) message counts (one per engine)."""

    def __init__(self, k: Services) -> None:
        self.k = k
        self.boxes: dict[str, tuple[int, int]] = {}

    def ops(self) -> dict[str, Handler]:
        """Operation handlers this module answers."""
        return {
            "mailboxes.list": lambda r: Reply(200, [self._json(n) for n in sorted(self.boxes)]),
            "mailboxes.get": self._op_get,
            "mailboxes.update": self._op_update,
            "mailboxes.delete": self._op_delete,
        }

    def _json(self, name: str) -> dict[str, str | int]:
        old, new = self.boxes[name]
        return {"name": name, "old_messages": old, "new_messages": new}

    def _op_get(self, req: Request) -> Reply:
        name = req.path.get("mailboxName", "")
        if name not in self.boxes:
            return error(404, "Mailbox is does not exist")
        return Reply(200, self._json(name))

    def _op_update(self, req: Request) -> Reply:
        name = req.path.get("mailboxName", "")
        self.boxes[name] = (req.int("oldMessages", 0), req.int("newMessages", 0))
        return Reply(204)

    def _op_delete(self, req: Request) -> Reply:
        name = req.path.get("mailboxName", "")
        if self.boxes.pop(name, None) is None:
            return error(404, "Mailbox does not exist")
        return Reply(204)
