""" "Check the device and send again" in Chromium: on a Reboot whose outcome is unknown it asks
the Reboot's question first (a "no" sends nothing), and once sent again the entry says so
instead of offering the button a second time."""

import re

from playwright.sync_api import expect

from tests.fixtures.operations import writes
from tests.fixtures.users import PASSWORD


def test_send_again_of_a_reboot_asks_first_and_is_then_offered_no_more(
    cached_fleet, dashboard_url, device_of_org, operator, page, login, settings
):
    device = device_of_org(5)
    settings.ACTION_READ_TIMEOUT = 1
    questions, answers = [], [True]  # Reboot: yes

    def answer(dialog):
        questions.append(dialog.message)
        dialog.accept() if answers.pop(0) else dialog.dismiss()

    page.on("dialog", answer)
    login(operator.username, PASSWORD)
    page.goto(f"/devices/{device.id}/")
    cached_fleet.set_faults(next_hangs=1, hang_seconds=1.5, method="PATCH")
    page.get_by_role("button", name="Reboot", exact=True).click()
    entry = page.locator(".action-record").first
    expect(entry).to_contain_text("Outcome unknown")
    cached_fleet.clear_faults()
    cached_fleet.clear_log()
    send_again = entry.get_by_role("button", name="Check the device and send again")

    answers.append(False)  # no: nothing is sent, the button stays usable
    send_again.click()
    expect(send_again).to_be_enabled()
    assert writes(cached_fleet, device.id) == 0

    answers.append(True)
    send_again.click()
    expect(page.locator(".action-record")).to_have_count(2)

    asked = f"Reboot {device.name}? It is offline while it restarts."
    assert questions == [asked, asked, asked]
    original = page.locator(".action-record").nth(1)
    expect(original).to_contain_text(re.compile(r"Sent again at \d\d:\d\d by operator"))
    expect(original.get_by_role("button", name="Check the device and send again")).to_have_count(0)
    assert writes(cached_fleet, device.id) == 1
