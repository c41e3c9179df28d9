"""The device page's values in real Chromium: a serial, a date or a word is never cut in two."""

import pytest

from tests.fixtures.users import PASSWORD

# Each run of characters between spaces and hyphens in the value cells, with the number of lines
# it is drawn on; a value may wrap at a space or after a hyphen, never inside such a run.
CUT_TOKENS = """
() => {
  const cut = [];
  for (const dd of document.querySelectorAll(".fields dd")) {
    const walker = document.createTreeWalker(dd, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/[^\\s-]+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set(Array.from(range.getClientRects(), r => Math.round(r.top)));
        if (tops.size > 1) cut.push(match[0]);
      }
    }
  }
  return cut;
}
"""

# Value cells drawn past the right edge of their card.
SPILLED = """
() => Array.from(document.querySelectorAll(".fields dd")).filter(dd => {
  const card = dd.closest(".card").getBoundingClientRect();
  return dd.getBoundingClientRect().right > card.right;
}).map(dd => dd.textContent.trim())
"""


@pytest.mark.parametrize("width", [1024, 1280])
def test_device_values_wrap_between_words_and_stay_in_their_card(
    fleet, noc, page, login, screenshot, width
):
    device = fleet.devices()[3]
    login(noc.username, PASSWORD)
    page.set_viewport_size({"width": width, "height": 1000})
    page.goto(f"/devices/{device.id}/")
    screenshot(f"device-detail-{width}")

    assert page.evaluate(CUT_TOKENS) == []
    assert page.evaluate(SPILLED) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
