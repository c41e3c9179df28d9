"""The software sort reads digit runs as numbers; a version written with other digits
("²", "①") is text, never a crash of the sort."""

from datetime import UTC, datetime

import msgspec
import pytest

from fleet import polling
from fleet.store.queries import DeviceQuery


@pytest.mark.parametrize("version", ["²", "①"])
def test_a_version_of_unicode_digits_is_sorted_as_text_after_the_numbered_ones(
    model, api_factory, poll_config, still_fleet, all_devices, version
):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    device = msgspec.structs.replace(all_devices()[3], software_version=version)

    model.update_devices([device], observed_at=datetime.now(UTC))
    page = model.query(DeviceQuery(sort="software", limit=500), None)

    with_version = [d for d in page.items if d.software_version]
    assert with_version[-1].id == device.id
    assert with_version[-1].software_version == version
