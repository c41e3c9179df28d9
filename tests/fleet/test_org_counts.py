"""Up/Down per organization (the overview, the wall, the metrics, every incremental poll)
read from the cell counts: the same as counting the devices, after moves, status changes,
new devices and removals, and without a pass over any organization's devices."""

from datetime import UTC, datetime, timedelta

from controlapi.records import Device

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def _device(i, org, status="Up", type_id=1):
    return Device(id=i, name=f"edge-{i}", serial_number=f"SN{i}", status=status,
                  organization_id=org, type=type_id, status_change=T0,
                  last_connection=T0)  # fmt: skip


def _publish(model, devices):
    builder = model.new_snapshot(T0, abandon_after=timedelta(minutes=5))
    builder.add([d.to_cache() for d in devices])
    builder.publish()


def _counted(devices):
    counts = {}
    for d in devices:
        if d.organization_id is not None:
            up, down = counts.get(d.organization_id, (0, 0))
            counts[d.organization_id] = (up + 1, down) if d.status == "Up" else (up, down + 1)
    return counts


def test_counts_per_organization_follow_every_write(model):
    fleet = {i: _device(i, 5 if i % 3 else 7, "Up" if i % 4 else "Down") for i in range(1, 61)}
    fleet[61] = _device(61, None)  # in no organization: counted in none
    _publish(model, fleet.values())
    assert model.current_org_counts() == _counted(fleet.values())

    # A move, a status change, a new device in a new organization, a removal; and the
    # only device of organization 9 moved away (it stays listed, with nothing).
    changes = [_device(2, 7, "Down"), _device(3, 5, "Down"), _device(100, 9), _device(101, 9)]
    model.update_devices(changes, observed_at=T0)
    model.update_devices([_device(100, 5), _device(101, 5)], observed_at=T0)
    model.remove_devices([4])
    fleet.update({d.id: d for d in [_device(2, 7, "Down"), _device(3, 5, "Down"),
                                    _device(100, 5), _device(101, 5)]})  # fmt: skip
    del fleet[4]

    assert model.current_org_counts() == {**_counted(fleet.values()), 9: (0, 0)}


def test_the_counts_cost_no_pass_over_an_organizations_devices(model):
    _publish(model, [_device(i, 5) for i in range(1, 41)])
    info = model.snapshot_info()
    # Were the counts read from the sets, emptying them would show.
    model.client.delete(
        model.keys.org(info.generation, 5), model.keys.status(info.generation, True)
    )

    assert model.current_org_counts() == {5: (40, 0)}


def test_a_generation_without_cell_counts_is_counted_from_its_sets(model):
    fleet = [_device(i, 5 if i % 2 else 7, "Up" if i % 3 else "Down") for i in range(1, 31)]
    _publish(model, fleet)
    model.client.delete(model.keys.cells(model.snapshot_info().generation))

    assert model.current_org_counts() == _counted(fleet)


def test_the_types_present_in_organizations_follow_every_write(model):
    _publish(model, [_device(i, 5 if i % 2 else 7, type_id=1 if i < 20 else 2) for i in
                     range(1, 41)])  # fmt: skip
    assert set(model.device_types(frozenset({5}))) == {1, 2}

    # Every device of type 2 in organization 5 moves to organization 7.
    model.update_devices([_device(i, 7, type_id=2) for i in range(21, 41, 2)], observed_at=T0)
    model.update_devices([_device(100, 9, type_id=3)], observed_at=T0)

    assert set(model.device_types(frozenset({5}))) == {1}
    assert set(model.device_types(frozenset({7}))) == {1, 2}
    assert set(model.device_types(frozenset({9, 5}))) == {1, 3}
    assert set(model.device_types(None)) == {1, 2, 3}
