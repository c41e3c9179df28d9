"""Wave sizes: the canary, then cumulative percentages of the target ("10%,50%,100%")."""

from __future__ import annotations

import math

# ASSUMPTION: a roll-out in more steps than this is a slip of the keyboard (and a wave's
# number must fit CampaignDevice.wave, a small integer).
MAX_WAVES = 100


class WaveError(ValueError):
    """Waves written so they cannot be read; the message says how to write them."""


def parse_waves(text: str) -> list[float]:
    """ "1%,10%,100%" -> [1.0, 10.0, 100.0]: increasing, each in (0, 100], ending at 100."""
    parts = [p.strip().rstrip("%").strip() for p in (text or "").split(",") if p.strip()]
    if not parts:
        raise WaveError("Give the waves as percentages of the devices, e.g. 10%,50%,100%.")
    if len(parts) > MAX_WAVES:
        raise WaveError(f"At most {MAX_WAVES} waves after the canary; {len(parts)} were given.")
    values = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            raise WaveError(
                f"“{part[:20]}” is not a percentage: write e.g. 10%,50%,100%."
            ) from None
        if not 0 < value <= 100 or (values and value <= values[-1]):
            raise WaveError("Each wave is a larger percentage than the one before, up to 100%.")
        values.append(value)
    if values[-1] != 100:
        raise WaveError("The last wave is 100%: every device of the target.")
    return values


def wave_sizes(total: int, canary: int, waves: list[float]) -> list[int]:
    """How many devices each wave sends to, the canary first; waves that would add no
    device are left out (a small target may need fewer waves)."""
    sizes = []
    done = min(canary, total)
    if done:
        sizes.append(done)
    for percent in waves:
        end = max(done, min(total, math.ceil(total * percent / 100)))
        if end > done:
            sizes.append(end - done)
            done = end
    return sizes


def format_waves(waves: list[float]) -> str:
    return ",".join(f"{w:g}%" for w in waves)
