"""A subset of Asterisk's extensions.conf: contexts, extensions, priorities, patterns.

Parses ``[context]``, ``exten => N,1,App(args)``, ``same => n,App(args)``, priority labels ``n(label)``,
patterns ``_X.`` (X, Z, N, ``[1-5]``, ``.`` and ``!``), ``include =>`` and ``;`` comments. The engine
interprets the applications it knows (NoOp, Answer, Ringing, Progress, Wait, Stasis, Playback, Hangup, Set,
Goto); any other one is a NoOp.

>>> dp = Dialplan.parse('''
... [default]
... exten => 1000,1,NoOp()
...  same => n,Stasis(channel-tones)
...  same => n,Hangup()
... ''')
>>> dp.find("default", "1000", 2)
Step(priority=2, app='Stasis', data='channel-tones', label=None)
>>> Dialplan.default().find("default", "wait", 2).app
'Wait'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["DEFAULT_DIALPLAN", "Dialplan", "DialplanError", "Step"]

#: The dialplan of the captures (shared/ari/README.md) minus the 1003 probe line.
DEFAULT_DIALPLAN = """\
[default]
exten => 1000,1,NoOp()
 same => n,Stasis(channel-tones)
 same => n,Hangup()
exten => 1001,1,NoOp()
 same => n,Stasis(channel-playback-monkeys)
 same => n,Hangup()
exten => 1002,1,NoOp()
 same => n,Stasis(channel-state)
 same => n,Hangup()
exten => wait,1,Answer()
 same => n,Wait(300)
 same => n,Hangup()
"""

_LINE = re.compile(r"^(exten|same|include)\s*=>?\s*(.*)$", re.IGNORECASE)
_APP = re.compile(r"^\s*([A-Za-z_][\w]*)\s*(?:\((.*)\))?\s*$", re.DOTALL)


class DialplanError(ValueError):
    """An extensions.conf line the parser cannot read (the message names the line)."""


@dataclass(frozen=True, slots=True)
class Step:
    """One priority of an extension: ``App(data)``."""

    priority: int
    app: str
    data: str
    label: str | None = None


@dataclass
class _Extension:
    steps: dict[int, Step] = field(default_factory=dict)

    def add(self, step: Step) -> None:
        self.steps[step.priority] = step

    @property
    def last(self) -> int:
        return max(self.steps, default=0)


class Dialplan:
    """Contexts of extensions; build with :meth:`parse`, :meth:`default` or :meth:`add`."""

    def __init__(self) -> None:
        self.contexts: dict[str, dict[str, _Extension]] = {}
        self.includes: dict[str, list[str]] = {}

    # -- building --------------------------------------------------------------------------------------
    @classmethod
    def default(cls) -> Dialplan:
        """1000 channel-tones, 1001 channel-playback-monkeys, 1002 channel-state, and ``wait``."""
        return cls.parse(DEFAULT_DIALPLAN)

    @classmethod
    def parse(cls, text: str) -> Dialplan:
        """Parse extensions.conf text (raises :class:`DialplanError` on a line it cannot read)."""
        dp = cls()
        context: str | None = None
        last: tuple[str, int] | None = None  # (exten, priority) for "same => n"
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = _strip_comment(raw).strip()
            if not line:
                continue
            if line.startswith("[") and "]" in line:
                context = line[1 : line.index("]")].strip()
                dp.contexts.setdefault(context, {})
                last = None
                continue
            m = _LINE.match(line)
            if m is None:
                continue  # settings such as "static=yes" or "writeprotect=no"
            if context is None:
                raise DialplanError(f"line {lineno}: {raw.strip()!r} is outside any [context]")
            kind, rest = m.group(1).lower(), m.group(2).strip()
            if kind == "include":
                dp.includes.setdefault(context, []).append(rest)
                continue
            if kind == "exten":
                pieces = rest.split(",", 2)
                if len(pieces) < 3:
                    raise DialplanError(f"line {lineno}: expected 'exten => EXTEN,PRIORITY,App(args)'")
                exten, prio, app = pieces[0].strip(), pieces[1].strip(), pieces[2]
            else:
                if last is None:
                    raise DialplanError(f"line {lineno}: 'same =>' without an extension before it")
                pieces = rest.split(",", 1)
                if len(pieces) < 2:
                    raise DialplanError(f"line {lineno}: expected 'same => PRIORITY,App(args)'")
                exten, prio, app = last[0], pieces[0].strip(), pieces[1]
            priority, label = dp._priority(context, exten, prio, last, lineno)
            name, data = _split_app(app, lineno)
            dp.add(context, exten, priority, name, data, label=label)
            last = (exten, priority)
        return dp

    def _priority(
        self, context: str, exten: str, text: str, last: tuple[str, int] | None, lineno: int
    ) -> tuple[int, str | None]:
        label = None
        m = re.match(r"^([^()]+)(?:\((\w+)\))?$", text)
        if m is None:
            raise DialplanError(f"line {lineno}: bad priority {text!r}")
        base, label = m.group(1).strip(), m.group(2)
        if base == "n":
            prev = last[1] if last is not None and last[0] == exten else self._last(context, exten)
            return prev + 1, label
        if base == "s" or base == "same":
            return (last[1] if last else 1), label
        try:
            value = int(base)
        except ValueError:
            raise DialplanError(f"line {lineno}: bad priority {text!r}") from None
        if value < 1:
            raise DialplanError(f"line {lineno}: priorities start at 1")
        return value, label

    def _last(self, context: str, exten: str) -> int:
        ext = self.contexts.get(context, {}).get(exten)
        return ext.last if ext else 0

    def add(
        self,
        context: str,
        exten: str,
        priority: int | str,
        app: str,
        data: str = "",
        *,
        label: str | None = None,
    ) -> Step:
        """Add one priority (``priority="n"``: after the extension's last one).

        >>> dp = Dialplan.default()
        >>> dp.add("default", "2000", 1, "Stasis", "lab")
        Step(priority=1, app='Stasis', data='lab', label=None)
        """
        if priority == "n":
            priority = self._last(context, exten) + 1
        step = Step(int(priority), app, data, label)
        self.contexts.setdefault(context, {}).setdefault(exten, _Extension()).add(step)
        return step

    def add_extension(self, context: str, exten: str, apps: list[tuple[str, str]] | list[str]) -> None:
        """Add an extension from ``[("NoOp", ""), ("Stasis", "lab")]`` or ``["NoOp()", "Stasis(lab)"]``."""
        for i, app in enumerate(apps, 1):
            name, data = _split_app(app, 0) if isinstance(app, str) else app
            self.add(context, exten, i, name, data)

    # -- lookup ----------------------------------------------------------------------------------------
    def _match(self, context: str, exten: str, seen: set[str] | None = None) -> _Extension | None:
        exts = self.contexts.get(context)
        if exts is None:
            return None
        if exten in exts:
            return exts[exten]
        for pattern, ext in exts.items():
            if pattern.startswith("_") and _pattern_matches(pattern[1:], exten):
                return ext
        seen = seen or {context}
        for inc in self.includes.get(context, []):
            if inc not in seen:
                seen.add(inc)
                found = self._match(inc, exten, seen)
                if found is not None:
                    return found
        return None

    def has_context(self, context: str) -> bool:
        """True if the context exists."""
        return context in self.contexts

    def exists(self, context: str, exten: str, priority: int = 1) -> bool:
        """True if ``context,exten,priority`` exists (patterns and includes count)."""
        return self.find(context, exten, priority) is not None

    def find(self, context: str, exten: str, priority: int) -> Step | None:
        """The step at ``context,exten,priority``, or None."""
        ext = self._match(context, exten)
        return ext.steps.get(priority) if ext else None

    def find_label(self, context: str, exten: str, label: str) -> int | None:
        """The priority carrying ``label``, or None."""
        ext = self._match(context, exten)
        if ext is None:
            return None
        for step in ext.steps.values():
            if step.label == label:
                return step.priority
        return None

    def to_text(self) -> str:
        """The dialplan back as extensions.conf text."""
        out = []
        for context, exts in self.contexts.items():
            out.append(f"[{context}]")
            for inc in self.includes.get(context, []):
                out.append(f"include => {inc}")
            for exten, ext in exts.items():
                for prio in sorted(ext.steps):
                    step = ext.steps[prio]
                    label = f"({step.label})" if step.label else ""
                    out.append(f"exten => {exten},{prio}{label},{step.app}({step.data})")
        return "\n".join(out) + "\n"


def _strip_comment(line: str) -> str:
    # ';' starts a comment unless escaped as '\;'.
    out, i = [], 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line) and line[i + 1] == ";":
            out.append(";")
            i += 2
            continue
        if ch == ";":
            break
        out.append(ch)
        i += 1
    return "".join(out)


def _split_app(text: str, lineno: int) -> tuple[str, str]:
    m = _APP.match(text)
    if m is None:
        where = f"line {lineno}: " if lineno else ""
        raise DialplanError(f"{where}bad application {text.strip()!r} (expected App(args))")
    return m.group(1), (m.group(2) or "").strip()


def _pattern_matches(pattern: str, exten: str) -> bool:
    regex = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        up = ch.upper()
        if up == "X":
            regex.append("[0-9]")
        elif up == "Z":
            regex.append("[1-9]")
        elif up == "N":
            regex.append("[2-9]")
        elif ch == ".":
            regex.append(".+")
        elif ch == "!":
            regex.append(".*")
        elif ch == "[":
            end = pattern.find("]", i)
            if end < 0:
                regex.append(re.escape(ch))
            else:
                regex.append("[" + pattern[i + 1 : end].replace("\\", "\\\\") + "]")
                i = end
        else:
            regex.append(re.escape(ch))
        i += 1
    return re.fullmatch("".join(regex), exten) is not None
