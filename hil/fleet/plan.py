"""Waves: which vehicle gets the engine when. Pure functions, no I/O.

`--waves 1,10%,100%`: the first wave is one canary per platform; each later term is a cumulative share
of every platform's vehicles (`10%`, rounded up) or a cumulative count per platform (`5`). A wave takes
what its term adds to the waves before it; a wave that would be empty is dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hil.errors import ConfigError

DEFAULT_WAVES = "1,10%,100%"


@dataclass(frozen=True)
class WaveTerm:
    count: int | None = None  # per platform, cumulative
    share: float | None = None  # of each platform's vehicles, cumulative

    def target(self, total: int) -> int:
        if self.share is not None:
            return min(total, math.ceil(self.share * total))
        return min(total, self.count or 0)


def parse_waves(text: str) -> list[WaveTerm]:
    terms: list[WaveTerm] = []
    for raw in text.split(","):
        part = raw.strip()
        try:
            if part.endswith("%"):
                share = float(part[:-1]) / 100.0
                if not 0 < share <= 1:
                    raise ValueError(part)
                terms.append(WaveTerm(share=share))
            else:
                count = int(part)
                if count < 1:
                    raise ValueError(part)
                terms.append(WaveTerm(count=count))
        except ValueError:
            raise ConfigError(
                f"--waves: bad term {part!r} in {text!r}",
                hint="give counts per platform or shares, e.g. --waves 1,10%,100% (the first wave: canaries)",
            ) from None
    if not terms:
        raise ConfigError("--waves is empty", hint=f"e.g. --waves {DEFAULT_WAVES}")
    if terms[-1].share != 1.0:
        terms.append(WaveTerm(share=1.0))  # every vehicle is covered in the end
    return terms


def assign_waves(by_platform: dict[str, list[str]], terms: list[WaveTerm]) -> dict[str, int]:
    """vehicle -> wave number (1-based, consecutive), from vehicles grouped by platform in inventory order."""
    raw: dict[str, int] = {}
    for names in by_platform.values():
        done = 0
        for index, term in enumerate(terms):
            goal = term.target(len(names))
            for name in names[done:goal]:
                raw[name] = index
            done = max(done, goal)
    used = sorted(set(raw.values()))
    renumber = {old: new + 1 for new, old in enumerate(used)}
    return {name: renumber[w] for name, w in raw.items()}
