"""What runs the worker and beat starts them again when they exit: `./run demo`'s supervise
loop, and docker compose's restart policy."""

import subprocess
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]

# The run script's own supervise function, driven the way cmd_demo drives it.
SCRIPT = r"""
set -euo pipefail
ROOT="$1"; LOG="$2"
say() { printf '==> %s\n' "$*"; }
eval "$(sed -n '/^supervise() {/,/^}/p' "$ROOT/run")"
supervise worker "$LOG" sh -c 'echo "started $$"; sleep 0.2; exit 3' &
supervisor=$!
for _ in $(seq 200); do
    [ "$(grep -c started "$LOG")" -ge 2 ] && break
    sleep 0.1
done
supervise beat "$LOG.beat" sh -c 'echo "beat $$"; exec sleep 60' &
beat=$!
for _ in $(seq 50); do grep -q beat "$LOG.beat" 2>/dev/null && break; sleep 0.1; done
kill "$supervisor" "$beat"
wait "$supervisor" "$beat" || true
"""


def test_run_demo_starts_an_exited_worker_again_and_stops_it_with_itself(tmp_path):
    log = tmp_path / "worker.log"
    result = subprocess.run(  # noqa: S603
        ["bash", "-c", SCRIPT, "bash", str(ROOT), str(log)],  # noqa: S607
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    starts = [line for line in log.read_text().splitlines() if line.startswith("started")]
    assert len(starts) >= 2, "the worker that exited was not started again"
    assert "The worker exited (status 3): starting it again" in result.stdout

    # Stopping ./run stopped the command under the supervisor too (beat's long sleep).
    beat_pid = int((tmp_path / "worker.log.beat").read_text().split()[1])
    time.sleep(0.2)
    assert not Path(f"/proc/{beat_pid}").exists() or _zombie(beat_pid)


def _zombie(pid):
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


def test_compose_restarts_every_service_that_exits():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("web", "worker", "beat", "redis", "postgres", "simulator"):
        assert services[name].get("restart") == "unless-stopped", name
