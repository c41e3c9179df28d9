"""The availability computation against hand-built histories, to the second."""

from datetime import UTC, datetime, timedelta

from reports.availability import (
    Change,
    DeviceHistory,
    Span,
    coverage,
    device_figures,
    organization_figures,
    seconds_by_bucket,
)

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
START, END = T0, T0 + timedelta(hours=1)
THRESHOLD = timedelta(seconds=90)


def minutes(m: float) -> datetime:
    return T0 + timedelta(minutes=m)


def polls(first=-2, last=62, every=0.5, skip=()):
    """Poll starts every 30 s from `first` to `last` minutes, without those in `skip`."""
    times, m = [], first
    while m <= last:
        if not any(a < m < b for a, b in skip):
            times.append(minutes(m))
        m += every
    return times


def cover(times=None, now=None):
    return coverage(
        polls() if times is None else times,
        start=START,
        end=END,
        now=now or minutes(120),
        threshold=THRESHOLD,
    )


def down_up(*moments):
    """Changes alternating Down, Up, Down… at these minutes."""
    changes = []
    for i, m in enumerate(moments):
        to = "Down" if i % 2 == 0 else "Up"
        changes.append(Change(minutes(m), "Up" if to == "Down" else "Down", to))
    return tuple(changes)


def figures(history, times=None, now=None):
    return device_figures(history, cover(times, now), start=START, end=END)


def test_an_always_up_device_is_up_the_whole_observed_hour():
    f = figures(DeviceHistory(1, status_now="Up"))
    assert (f.observed, f.up, f.availability) == (3600, 3600, 1.0)
    assert f.outages == []


def test_the_state_at_the_range_start_is_the_last_change_before_it():
    history = DeviceHistory(1, changes=down_up(-10, 30), status_now="Up")
    f = figures(history)
    assert (f.observed, f.up, f.down) == (3600, 1800, 1800)
    assert f.availability == 0.5
    # Down since before the range: an outage of the range too, from its start; its time
    # to recovery is not the range's to tell.
    assert [(o.start, o.end, o.ongoing, o.began_before) for o in f.outages] == [
        (START, minutes(30), False, True)
    ]
    assert f.longest.seconds == 1800 and f.mean_time_to_recovery is None


def test_a_device_down_since_before_its_history_has_an_outage_the_whole_range():
    f = figures(DeviceHistory(1, status_now="Down"))
    assert (f.down, len(f.outages), f.outages[0].ongoing, f.outages[0].began_before) == (
        3600,
        1,
        True,
        True,
    )


def test_a_change_to_down_at_the_range_start_is_one_outage_not_two():
    f = figures(DeviceHistory(1, changes=down_up(0, 20)))
    assert [(o.start, o.began_before) for o in f.outages] == [(START, False)]
    assert f.mean_time_to_recovery == 1200


def test_down_when_a_window_over_the_range_start_ends_is_not_an_outage():
    window = Span(minutes(-30), minutes(10))
    f = figures(DeviceHistory(1, changes=down_up(-20, 12), maintenance=(window,)))
    assert f.outages == []


def test_before_its_first_change_a_device_had_that_changes_old_status():
    f = figures(DeviceHistory(1, changes=down_up(45), status_now=None))
    assert (f.up, f.down) == (2700, 900)


def test_outages_their_longest_and_the_mean_time_to_recovery():
    f = figures(DeviceHistory(1, changes=down_up(5, 7, 40, 41, 50)))
    assert [(o.seconds, o.ongoing) for o in f.outages] == [(120, False), (60, False), (600, True)]
    assert f.longest.seconds == 600
    assert f.mean_time_to_recovery == 90
    assert f.down == 120 + 60 + 600


def test_a_window_overlapping_the_range_start_is_left_out_and_listed_cut_to_the_range():
    window = Span(minutes(-30), minutes(10))
    f = figures(DeviceHistory(1, changes=down_up(5, 12), maintenance=(window,)))
    assert f.maintenance == [Span(START, minutes(10))]
    assert f.observed == 3000
    # Down from 5 to 12 min: only the 2 min after the window count, and not as an outage.
    assert f.down == 120
    assert f.outages == []


def test_a_gap_between_polls_is_neither_up_nor_down_and_listed():
    times = polls(skip=[(20, 30)])
    c = cover(times)
    assert c.gaps == (Span(minutes(20), minutes(30)),)
    f = figures(DeviceHistory(1, changes=down_up(25, 35)), times=times)
    assert f.observed == 3000
    assert f.down == 300  # 30 to 35 min; 25 to 30 fell in the gap
    assert [o.seconds for o in f.outages] == [600]  # the upstream's times say when


def test_an_outage_says_how_much_of_it_was_not_observed_and_why():
    """Its length is the device's own times; the part in a gap, in a window or before the
    history starts is not in the Down time, and the outage says so."""
    times = polls(skip=[(20, 30)])
    window = Span(minutes(40), minutes(45))
    history = DeviceHistory(1, changes=down_up(18, 26, 38, 50), maintenance=(window,))
    f = figures(history, times=times)
    across_gap, across_window = f.outages
    assert (across_gap.seconds, across_gap.in_gaps, across_gap.in_maintenance) == (480, 360, 0)
    assert (across_window.seconds, across_window.in_gaps) == (720, 0)
    assert across_window.in_maintenance == 300
    assert f.down == (480 - 360) + (720 - 300)
    before = figures(DeviceHistory(1, status_now="Down"), times=polls(first=40)).outages[0]
    assert (before.seconds, before.before_data, before.in_gaps) == (3600, 2400, 0)


def test_an_organizations_outages_name_their_device_and_its_devices_own_do_not_need_to():
    histories = [
        DeviceHistory(2, changes=down_up(10, 40), name="bad"),
        DeviceHistory(3, changes=down_up(10, 40), name=""),
    ]
    result = organization_figures(histories, cover(), start=START, end=END)
    assert [(o.device_id, o.device_name) for o in result.figures.outages] == [
        (2, "bad"),
        (3, ""),
    ]
    assert [o.device_id for d in result.devices for o in d.figures.outages] == [None, None]


def test_polls_just_under_the_threshold_apart_leave_no_gap():
    assert cover(polls(every=1.5)).gaps == ()


def test_a_poller_silent_until_now_opens_a_gap_up_to_now():
    c = cover(polls(last=20), now=minutes(30))
    assert c.gaps == (Span(minutes(20), minutes(30)),)
    assert sum(s.seconds for s in c.polled) == 1200


def test_time_after_now_is_not_observed():
    f = figures(
        DeviceHistory(1, status_now="Up"),
        now=minutes(
            30,
        )
        + timedelta(seconds=10),
    )
    assert f.observed == 1810


def test_a_device_created_mid_range_is_observed_from_its_creation():
    f = figures(DeviceHistory(1, status_now="Up", created=minutes(15)))
    assert f.observed == 2700


def test_time_before_the_first_poll_kept_is_not_observed():
    f = figures(DeviceHistory(1, status_now="Up"), times=polls(first=40))
    assert f.observed == 1200


def test_no_data_means_no_availability():
    f = figures(DeviceHistory(1, status_now="Up"), times=[])
    assert (f.observed, f.availability, f.outages) == (0, None, [])


def test_a_device_whose_status_is_unknown_is_not_observed():
    assert figures(DeviceHistory(1)).observed == 0


def test_an_organization_sums_device_time_and_names_its_worst_devices():
    histories = [
        DeviceHistory(1, status_now="Up", name="fine"),
        DeviceHistory(2, changes=down_up(10, 40), name="bad"),
        DeviceHistory(3, changes=down_up(50, 55), name="worse-ish"),
    ]
    result = organization_figures(histories, cover(), start=START, end=END)
    assert result.figures.observed == 3 * 3600
    assert result.figures.down == 1800 + 300
    assert len(result.figures.outages) == 2
    assert [d.device_id for d in result.worst()] == [2, 3]


def test_devices_with_the_same_history_get_the_same_figures_as_each_alone():
    """An organization's devices that share a history are worked out once: each device's
    figures are still its own, and the sums count every device."""
    window = (Span(minutes(5), minutes(15)),)
    histories = [
        DeviceHistory(1, status_now="Up"),
        DeviceHistory(2, status_now="Up"),
        DeviceHistory(3, status_now="Down"),
        DeviceHistory(4, changes=down_up(10, 40)),
        DeviceHistory(5, changes=down_up(10, 40)),
        DeviceHistory(6, status_now="Up", maintenance=window),
        DeviceHistory(7, status_now="Up", created=minutes(30)),
        DeviceHistory(8, status_now="Up", created=minutes(-30)),
    ]
    result = organization_figures(histories, cover(), start=START, end=END)

    alone = {h.device_id: figures(h) for h in histories}
    assert {d.device_id: d.figures for d in result.devices} == alone
    assert result.figures.observed == sum(f.observed for f in alone.values())
    assert result.figures.up == sum(f.up for f in alone.values())
    assert len(result.figures.outages) == 3  # device 3's, Down all along, and 4's and 5's


def test_seconds_fall_into_their_buckets():
    edges = [minutes(0), minutes(30), minutes(60)]
    spans = [[Span(minutes(20), minutes(40))], [Span(minutes(50), minutes(70))]]
    assert seconds_by_bucket(spans, edges) == [600, 600 + 600]
