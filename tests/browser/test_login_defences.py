"""Logging in, in real Chromium: the lockout page after repeated failures, and the page of a
refused login form, both in the site's layout."""

from playwright.sync_api import expect

from tests.fixtures.users import PASSWORD


def try_login(page, username, password):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_repeated_failures_show_when_to_try_again(operator, page, settings, screenshot):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        try_login(page, operator.username, "wrong")
    try_login(page, operator.username, PASSWORD)

    expect(page.get_by_role("heading", name="Login locked for now")).to_be_visible()
    expect(page.get_by_text("Try again in 15 minutes")).to_be_visible()
    expect(page.get_by_role("link", name="Back to the login page")).to_be_visible()
    screenshot("login-locked-out")


def test_a_login_form_sent_without_its_cookie_is_explained(operator, page, screenshot):
    page.goto("/accounts/login/")
    page.context.clear_cookies()  # as a browser that never kept the CSRF cookie
    page.get_by_label("Username").fill(operator.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Form refused")).to_be_visible()
    expect(page.get_by_text("reload the page and send the form again")).to_be_visible()
    screenshot("login-form-refused")
