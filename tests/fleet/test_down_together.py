"""Which Down devices went Down together (fleet.down_together)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fleet.down_together import TOGETHER, went_down_together

T0 = datetime(2026, 12, 5, 3, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Down:
    id: int
    status_change: datetime | None


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def ids(bursts) -> list[list[int]]:
    return [[d.id for d in b] for b in bursts]


def test_devices_within_two_minutes_of_the_first_are_one_burst():
    devices = [Down(1, at(0)), Down(2, at(30)), Down(3, at(120)), Down(4, at(121))]

    assert ids(went_down_together(devices)) == [[1, 2, 3], [4]]


def test_a_steady_trickle_does_not_chain_into_one_endless_burst():
    devices = [Down(i, at(i * 60)) for i in range(10)]  # one a minute for ten minutes

    bursts = went_down_together(devices)

    assert all(b[-1].status_change - b[0].status_change <= TOGETHER for b in bursts)
    assert sum(len(b) for b in bursts) == 10 and len(bursts) > 1


def test_largest_first_then_the_most_recent():
    devices = [Down(1, at(0)), Down(2, at(1000)), Down(3, at(1001)), Down(4, at(5000))]

    assert ids(went_down_together(devices)) == [[2, 3], [4], [1]]


def test_a_device_without_a_status_change_is_in_no_burst():
    assert ids(went_down_together([Down(1, None), Down(2, at(0))])) == [[2]]
