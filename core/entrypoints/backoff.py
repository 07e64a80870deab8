"""Exponential backoff of the core's loops (the relay, the sweeper) after a failure."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(kw_only=True)
class Backoff:
    initial_s: float = 0.2
    max_s: float = 5.0
    current_s: float = field(default=0.0, init=False)

    def next(self) -> float:
        """The wait before the next try: doubled from `initial_s` up to `max_s`."""
        self.current_s = min(self.max_s, self.current_s * 2 if self.current_s else self.initial_s)
        return self.current_s

    def reset(self) -> None:
        self.current_s = 0.0
