"""python manage.py alert_rule create|list|disable: the rule's id printed, destinations
masked, each change audited, errors in words with a non-zero exit."""

import os
import re
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AuditEntry
from alerts.models import AlertRule
from tests.fixtures.fresh_process import OUR_VARIABLES, ROOT

pytestmark = pytest.mark.django_db


def test_create_prints_the_new_rules_id_with_the_defaults(capsys):
    call_command(
        "alert_rule", "create", "--name", "Quito", "--organization", "5",
        "--destination", "mailto://oncall@example.com",
    )  # fmt: skip

    rule = AlertRule.objects.get()
    assert capsys.readouterr().out.strip() == str(rule.pk)
    assert rule.events == ["down"] and rule.delay_seconds == 120 and rule.send_recovery
    assert rule.destinations.get().masked == "mailto://…@example.com/…"
    entry = AuditEntry.objects.get(action="alert_rule_create")
    assert entry.organization_id == 5 and entry.username == "(command line)"
    assert entry.parameters["destinations"] == ["mailto://…@example.com/…"]


def test_create_takes_every_option(capsys):
    call_command(
        "alert_rule", "create", "--name", "Routers", "--organization", "7", "--type", "12",
        "--event", "down", "--event", "flapping", "--delay-seconds", "30", "--no-recovery",
        "--storm-threshold", "50", "--pattern", "ER-*",
        "--destination", "json://127.0.0.1:9/a", "--destination", "mailto://b@example.com",
    )  # fmt: skip

    rule = AlertRule.objects.get()
    assert (rule.type_id, rule.pattern, rule.events) == (12, "ER-*", ["down", "flapping"])
    assert (rule.delay_seconds, rule.send_recovery, rule.storm_threshold) == (30, False, 50)
    assert rule.destinations.count() == 2


def test_list_and_disable(capsys):
    call_command("alert_rule", "create", "--name", "Quito", "--organization", "5",
                 "--destination", "jsons://hooks.example.com/x?secret=abc")  # fmt: skip
    rule = AlertRule.objects.get()
    call_command("alert_rule", "disable", str(rule.pk))
    call_command("alert_rule", "list")

    out = capsys.readouterr().out
    assert f"{rule.pk}\tQuito\tdisabled\torganization 5" in out
    assert "jsons://hooks.example.com/…" in out and "secret" not in out
    assert AuditEntry.objects.filter(action="alert_rule_disable").count() == 1
    with pytest.raises(CommandError, match="disabled already"):
        call_command("alert_rule", "disable", str(rule.pk))
    with pytest.raises(CommandError, match="There is no rule 999"):
        call_command("alert_rule", "disable", "999")


def test_a_bad_destination_is_refused_in_words_without_echoing_it():
    with pytest.raises(CommandError) as error:
        call_command("alert_rule", "create", "--name", "X", "--organization", "5",
                     "--destination", "nosuchscheme://secret-token")  # fmt: skip
    assert "Destination 1: apprise does not accept this nosuchscheme:// URL" in str(error.value)
    assert "secret-token" not in str(error.value)
    assert not AlertRule.objects.exists()


def test_errors_exit_non_zero_from_the_shell(tmp_path):
    # A shell of its own: only DEBUG and a throwaway database of ours set, as an operator's.
    clean = {k: v for k, v in os.environ.items() if k not in OUR_VARIABLES}
    env = {**clean, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "alert_rule", "create", "--name", "X",
         "--organization", "0", "--destination", "mailto://a@example.com"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "at least 1" in done.stderr


def test_a_destination_given_twice_is_kept_once():
    call_command(
        "alert_rule", "create", "--name", "Quito", "--organization", "5",
        "--destination", "mailto://oncall@example.com",
        "--destination", " mailto://oncall@example.com ",
    )  # fmt: skip
    # Twice would send every notification twice to the same place.
    assert AlertRule.objects.get().destinations.count() == 1


@pytest.mark.parametrize(
    "option, value, said",
    [
        ("--delay-seconds", "86401", "Delay in seconds is a whole number from 0 to 86400."),
        ("--storm-threshold", "1", "Storm threshold is a whole number from 2 to 1000000."),
        ("--storm-threshold", "0", "Storm threshold is a whole number from 2 to 1000000."),
        ("--storm-threshold", "abc", "Storm threshold is a whole number from 2 to 1000000."),
        ("--delay-seconds", "-1", "Delay in seconds is a whole number from 0 to 86400."),
        ("--stuck-minutes", "0", "Stuck after minutes is a whole number from 1 to 10080."),
        (
            "--stuck-minutes",
            "99999999999",
            "Stuck after minutes is a whole number from 1 to 10080.",
        ),
    ],
)
def test_numbers_the_rules_page_refuses_are_refused_in_its_words(option, value, said):
    """Else a rule made here could not be saved on its edit page without changing them."""
    with pytest.raises(CommandError, match=re.escape(said)):
        call_command(
            "alert_rule", "create", "--name", "Quito", "--organization", "5",
            "--destination", "mailto://oncall@example.com", option, value,
        )  # fmt: skip
    assert not AlertRule.objects.exists()


@pytest.mark.parametrize(
    "option, value, said",
    [
        ("--name", "n" * 121, "A rule's name is at most 120 characters."),
        ("--pattern", "p" * 101, "A pattern is at most 100 characters."),
    ],
)
def test_texts_too_long_for_a_rule_are_refused_in_words(option, value, said):
    arguments = {"--name": "Quito", option: value}
    with pytest.raises(CommandError, match=re.escape(said)):
        call_command(
            "alert_rule", "create", "--organization", "5",
            "--destination", "mailto://oncall@example.com",
            *[part for pair in arguments.items() for part in pair],
        )  # fmt: skip
    assert not AlertRule.objects.exists()


def test_create_refuses_a_second_rule_of_one_name_in_one_organization(capsys):
    create = ("alert_rule", "create", "--organization", "5", "--destination", "json://h/a")
    call_command(*create, "--name", "Quito")
    with pytest.raises(CommandError, match="Another rule of this organization is named “Quito”"):
        call_command(*create, "--name", "QUITO")
    call_command(*create[:2], "--fleet-wide", *create[4:], "--name", "Quito")
    assert AlertRule.objects.count() == 2
