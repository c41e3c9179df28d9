"""A destination as pages, logs and the audit show it: scheme and host name, nothing else."""

import logging

import pytest

from alerts.destinations import mask


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("json://receiver.example:8080/hooks/abc", "json://receiver.example:8080/…"),
        ("JSON://Receiver.Example/x", "json://receiver.example/…"),
        ("mailto://noc:pw@smtp.example.com?to=a@b.c", "mailto://…@smtp.example.com/…"),
        ("json://127.0.0.1:9000/in", "json://127.0.0.1:9000/…"),
        ("json://localhost/in", "json://localhost/…"),
        # Tokens in the host's place are hidden with the rest.
        ("slack://T1AAA/B2BBB/C3CCC/#noc", "slack://…"),
        ("pagerduty://integrationkey@apikey", "pagerduty://…"),
        ("tgram://123456:ABC-DEF/-1001", "tgram://…"),
        ("json://receiver.example:notaport/x", "json://…"),
        ("json://[::1/x", "json://…"),
        ("no scheme at all", "…"),
        ("", "…"),
    ],
)
def test_only_the_scheme_and_a_host_name_are_shown(url, shown):
    assert mask(url) == shown


def test_apprise_logging_a_url_it_cannot_read_logs_it_masked(caplog):
    import apprise

    caplog.set_level(logging.DEBUG, logger="apprise")
    assert apprise.Apprise().add("msteams://s3cret/t0ken/x") is False
    assert "msteams://…" in caplog.text
    assert "s3cret" not in caplog.text


def test_every_example_of_the_forms_help_is_a_destination_the_dashboard_sends_to():
    import re

    from alerts.destinations import problem
    from alerts.rule_forms import DESTINATIONS_HELP

    examples = [u.rstrip(",;)") for u in re.findall(r"\w+://\S+", DESTINATIONS_HELP)]
    examples = [u.replace("secret=…", "secret=x") for u in examples if not u.endswith("://…")]
    assert len(examples) == 6
    assert {u: problem(u) for u in examples} == {u: None for u in examples}


def test_an_email_destination_with_an_smtp_account_mails_its_to_addresses_only(settings):
    """apprise's form `mailto://user:password@smtp-host?to=…`: the account part is not a
    recipient (the dashboard's own SMTP settings send), and its password is in no header."""
    from django.core import mail

    from alerts.destinations import send

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    url = "mailto://noc:pw-M41l-77@smtp.example.com?to=oncall@example.com,b@example.com"

    sent = send(url, subject="CPE-7 went Down", text="Down since 10:02", body={})

    assert sent.ok
    (message,) = mail.outbox
    assert message.to == ["oncall@example.com", "b@example.com"]
    assert "pw-M41l-77" not in message.message().as_string()


@pytest.mark.parametrize("url", ["mailto://@", "mailto:a@", "mailto://noc:pw@smtp.example.com"])
def test_an_email_destination_without_a_real_address_is_refused(url):
    from alerts.destinations import problem

    assert problem(url) == (
        "A mailto: destination needs at least one address (mailto://a@example.com)."
    )


@pytest.mark.parametrize(
    "url", ["json://receiver.example:abc/x", "jsons://receiver.example:99999/x",
            "json://re ceiver.example/x"],
)  # fmt: skip
def test_a_webhook_url_that_can_reach_no_receiver_is_refused_in_words(url):
    from alerts.destinations import problem

    assert problem(url) == (
        f"A {url.split(':')[0]}:// destination needs a host name and, if any, a port from 1 "
        "to 65535 (jsons://hooks.example.com:8443/path)."
    )
