"""Contact segments as growing columns: customer-initiated arrivals, bot sessions and the human
segments they escalate to, with handle times and patience drawn per segment."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cxpm.demo.operation import CHANNELS, PROGRAMS

CHANNEL_CODES = ("voice", "chat", "email", "messaging", "self_service")
INT_FIELDS = ("program", "channel", "bot", "pool", "reason", "parent", "arrived")
FLOAT_FIELDS = ("talk", "hold", "wrap", "patience")


@dataclass
class Segments:
    """Columns of all segments; a segment's index is its position in creation order, so a
    parent always has a lower index than its children."""

    parts: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {k: [] for k in (*INT_FIELDS, *FLOAT_FIELDS)})
    size: int = 0

    def add(self, **cols: np.ndarray) -> np.ndarray:
        n = len(cols["arrived"])
        for key in self.parts:
            self.parts[key].append(np.asarray(cols[key]))
        self.size += n
        return np.arange(self.size - n, self.size)

    def columns(self) -> dict[str, np.ndarray]:
        out = {}
        for key, chunks in self.parts.items():
            dtype = np.float64 if key in FLOAT_FIELDS else np.int64
            out[key] = (np.concatenate(chunks).astype(dtype) if chunks
                        else np.zeros(0, dtype=dtype))
        return out


def handle_times(rng: np.random.Generator, channel: str, handle_factor: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Talk (at normal speed), hold, wrap and patience seconds for n human segments."""
    model = CHANNELS[channel]
    n = len(handle_factor)
    sigma = 0.5
    talk = model.talk_s * handle_factor * rng.lognormal(-sigma**2 / 2, sigma, n)
    talk = np.maximum(talk, 20.0)
    has_hold = rng.random(n) < model.hold_share
    hold = np.where(has_hold, np.round(rng.exponential(max(model.hold_s, 1.0), n)), 0.0)
    wrap = np.round(model.wrap_s * rng.lognormal(-0.08, 0.4, n))
    patience = (np.full(n, np.inf) if np.isinf(model.patience_s)
                else rng.exponential(model.patience_s, n))
    return talk, hold, wrap, patience


def reason_arrays(attr: str) -> list[np.ndarray]:
    """Per program, an array of one Reason attribute indexed by reason number."""
    return [np.array([getattr(r, attr) for r in p.reasons], dtype=float) for p in PROGRAMS]


def add_human(rng: np.random.Generator, segs: Segments, program: int, channel: str,
              model_channel: str, arrived: np.ndarray, reason: np.ndarray,
              pool: np.ndarray, parent: np.ndarray) -> np.ndarray:
    factor = reason_arrays("handle_factor")[program][reason]
    talk, hold, wrap, patience = handle_times(rng, model_channel, factor)
    n = len(arrived)
    return segs.add(program=np.full(n, program), channel=np.full(n, CHANNEL_CODES.index(channel)),
                    bot=np.zeros(n), pool=pool, reason=reason, parent=parent, arrived=arrived,
                    talk=talk, hold=hold, wrap=wrap, patience=patience)
