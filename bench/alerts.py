"""Benchmark: one run of the notification rules (alerts.evaluation.evaluate), which beat
starts every ALERT_EVALUATION_SECONDS (15 s) and every poll starts again, against how many
status changes the last hour holds.

Every run reads the whole last hour of status changes twice (Redis's timeline and the
database's StatusChange rows) to know which devices flap, whatever the poll brought. This
measures what that costs as the hour fills, so the interval it is run at can be judged.

Set-up: the simulator (in this process) and one full poll of --devices into a read model
of the run's own, a throwaway SQLite database (or --database-url), two enabled rules on
Down with a delay (no message is sent: the destinations are never called), then for each
size T of --transitions: T status changes spread over the last hour on T/2 devices (most
change twice; one device in 20 changes 4 times, enough to flap), recorded as polls record
them (Redis and the database).

Prints, per T:
- `alerts_evaluate_idle_ms_T`: median of 10 runs with nothing new (the beat's run);
- `alerts_evaluate_batch_ms_T`: median of 5 runs, each after a poll's batch of 500 new
  changes (Down);
- `alerts_flapping_redis_ms_T`, `alerts_flapping_database_ms_T`: median of 10 reads of
  the flapping devices from each copy alone;
- `alerts_idle_share_of_interval_T`: the idle run's share of the 15 s interval (x);
- `alerts_redis_longest_command_ms_T`: the longest Redis command of the idle runs (SLOWLOG,
  past 10 ms; Redis answers nobody else meanwhile).

    .venv/bin/python bench/alerts.py [--devices 100000] [--transitions 10000,100000]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_alerts]
"""

import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta

from fleet_cache_setup import (
    api_factory,
    fresh_model,
    in_process_django,
    longest_command,
    median_ms,
    option,
    report,
    simulator,
)

from fleet.polling import PollConfig, poll_fleet

BATCH = 500


def make_rules(organizations) -> None:
    from alerts.destinations import mask
    from alerts.models import AlertRule, Destination, Event

    for organization_id in sorted(organizations)[:2]:
        rule = AlertRule.objects.create(
            name=f"Down in {organization_id}", organization_id=organization_id,
            events=[Event.DOWN], delay_seconds=300,
        )  # fmt: skip
        url = "json://127.0.0.1:9/never-called"
        Destination.objects.create(rule=rule, url=url, masked=mask(url))


def changes(rng, devices, count: int, now: datetime):
    """`count` alternating status changes over the last hour on count/2 devices."""
    from fleet.store.history import Transition

    chosen = rng.sample(devices, max(1, count // 2))
    found = []
    for i, device in enumerate(chosen):
        times = 4 if i % 20 == 0 else 2
        for k in range(times):
            if len(found) >= count:
                break
            at = now - timedelta(seconds=rng.uniform(60, 3500))
            was, now_is = ("Up", "Down") if k % 2 == 0 else ("Down", "Up")
            found.append(Transition(device.id, device.organization_id, was, now_is, at))
    return found


def record(model, transitions, now: datetime) -> None:
    from devices import history_store

    for start in range(0, len(transitions), 10_000):
        part = transitions[start : start + 10_000]
        model.record_transitions(part, now=now)
        history_store.record_poll(seen_by="full", at=now, transitions=part, org_counts={})


def main(argv: list[str]) -> None:
    size = int(option(argv, "--devices", "100000"))
    totals = [int(n) for n in option(argv, "--transitions", "10000,100000").split(",")]
    database = option(argv, "--database-url", "")
    rng = random.Random(7)
    with simulator(size) as sim, fresh_model() as model, tempfile.TemporaryDirectory() as tmp:
        polled = poll_fleet(model=model, api_factory=api_factory(sim), config=PollConfig(),
                            mode="full")  # fmt: skip
        in_process_django(model, sim.api_url, database or f"sqlite:///{tmp}/bench.sqlite3")
        from alerts import evaluation
        from alerts.models import Delivery
        from devices import history_store
        from devices.models import StatusChange

        make_rules(polled.organizations)
        devices = list(model.get_devices(range(1, size + 10_000)).values())
        recorded = 0
        for total in totals:
            now = datetime.now(UTC)
            record(model, changes(rng, devices, total - recorded, now), now)
            recorded = total
            evaluation.evaluate(model=model)  # the cursor moves past what was recorded
            report(f"alerts_status_changes_in_hour_{total}", StatusChange.objects.count(), "rows")
            model.client.slowlog_reset()
            idle = median_ms(lambda: evaluation.evaluate(model=model), 10)
            stall, command = longest_command(model.client)
            report(f"alerts_redis_longest_command_ms_{total}", stall, f"ms {command}".rstrip())
            report(f"alerts_evaluate_idle_ms_{total}", idle, "ms")
            report(f"alerts_idle_share_of_interval_{total}", idle / 15_000, "x")

            redis_ms = median_ms(
                lambda: model.flapping_devices(now=datetime.now(UTC), org_ids=None), 10
            )
            report(f"alerts_flapping_redis_ms_{total}", redis_ms, "ms")
            database_ms = median_ms(
                lambda: history_store.flapping_devices(
                    since=datetime.now(UTC) - timedelta(hours=1), min_transitions=3, org_ids=None
                ),
                10,
            )
            report(f"alerts_flapping_database_ms_{total}", database_ms, "ms")

            def a_poll_batch():
                at = datetime.now(UTC)
                record(model, changes(rng, devices, BATCH, at), at)

            batch = median_ms(lambda: evaluation.evaluate(model=model), 5, before=a_poll_batch)
            report(f"alerts_evaluate_batch_ms_{total}", batch, "ms")
            recorded += 5 * BATCH
        report("alerts_deliveries_written", Delivery.objects.count(), "rows")


if __name__ == "__main__":
    main(sys.argv[1:])
