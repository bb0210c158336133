from __future__ import annotations

import pytest

from hil.errors import ConfigError
from hil.fleet.plan import assign_waves, parse_waves


def test_first_wave_is_one_canary_per_platform_then_shares() -> None:
    fleet = {"orin": [f"o{i}" for i in range(10)], "qcs8255": ["q0", "q1", "q2"]}
    waves = assign_waves(fleet, parse_waves("1,10%,50%,100%"))
    assert [n for n, w in waves.items() if w == 1] == ["o0", "q0"]
    # 50% of 10 orin = 5 in total, 50% of 3 qcs = 2 in total (rounded up)
    assert sorted(n for n, w in waves.items() if w <= 2) == ["o0", "o1", "o2", "o3", "o4", "q0", "q1"]
    assert len(waves) == 13 and max(waves.values()) == 3  # the 10% wave added nobody: dropped


def test_empty_waves_are_dropped_and_numbers_stay_consecutive() -> None:
    waves = assign_waves({"orin": ["a", "b"]}, parse_waves("1,10%,100%"))
    assert waves == {"a": 1, "b": 2}  # 10% of 2 adds nobody after the canary


def test_the_last_wave_always_covers_everyone() -> None:
    waves = assign_waves({"orin": ["a", "b", "c"]}, parse_waves("1"))
    assert waves == {"a": 1, "b": 2, "c": 2}


@pytest.mark.parametrize("bad", ["", "0", "1,abc", "150%", "-1"])
def test_bad_wave_terms_say_what_to_write(bad: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_waves(bad)
    assert "--waves" in info.value.message
