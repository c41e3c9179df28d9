"""Every command refuses a mistyped argument in words, with its usage line and a non-zero
exit, never a Python traceback (an operator's script reads the exit and the words)."""

import pytest

from tests.fixtures.fresh_process import run_command


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["create_member", "ana", "--password", "x", "--organization", "abc", "--role",
          "viewer"], "--organization must be a positive whole number, not 'abc'."),
        (["maintenance_window", "end", "abc"],
         "the window id must be a positive whole number, not 'abc'."),
        (["maintenance_window", "create", "--organization", "0"],
         "--organization must be a positive whole number, not '0'."),
        (["maintenance_window", "create", "--organization", "5", "--weekly", "mon,funday"],
         "--weekly takes weekdays such as mon,wed (or 0-6), not 'funday'."),
        (["alert_rule", "disable", "x"], "Expected a whole number of at least 1, not 'x'."),
    ],
)  # fmt: skip
def test_a_mistyped_argument_is_said_in_words_without_a_traceback(tmp_path, arguments, words):
    done = run_command(tmp_path, *arguments)
    assert done.returncode == 2, done.stderr
    assert words in done.stderr
    assert "usage:" in done.stderr
    assert "Traceback" not in done.stderr
