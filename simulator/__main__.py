"""Run the simulator: python -m simulator --port 8001 --devices 5000 --seed 1 \
    --token TOKEN --token TENANT_TOKEN:5,7 [--latency-ms 250] [--control-token X]

A bare token sees every organization; TOKEN:ID,ID only those. Without --token the
documented demo token "demo-token" (every organization) is accepted.
"""

import argparse
import sys

import uvicorn

from simulator.app import DEFAULT_CONTROL_TOKEN, DEMO_TOKEN, Simulator, create_app
from simulator.catalog import MAX_ORGANIZATIONS


def parse_token(text: str) -> tuple[str, frozenset[int] | None]:
    """ "TOKEN" -> (TOKEN, None); "TOKEN:5,7" -> (TOKEN, {5, 7})."""
    token, sep, orgs = text.partition(":")
    if not token:
        raise argparse.ArgumentTypeError("a token may not be empty")
    if not sep:
        return token, None
    try:
        ids = frozenset(int(part) for part in orgs.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"organization ids after ':' must be integers: {text!r}"
        ) from None
    if not ids:
        raise argparse.ArgumentTypeError(f"no organization ids after ':' in {text!r}")
    return token, ids


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulator", description="Stand-in for the Zequenze Control API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--devices", type=int, default=5000, help="fleet size (default 5000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--token",
        action="append",
        type=parse_token,
        default=[],
        metavar="TOKEN[:ORG,ORG]",
        help=f"an accepted bearer token (repeatable); default: {DEMO_TOKEN} for all organizations",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=250.0,
        help="added to each update_status=true request (default 250)",
    )
    parser.add_argument(
        "--op-delay", type=float, default=5.0, help="seconds until queued work clears"
    )
    parser.add_argument("--control-token", default=DEFAULT_CONTROL_TOKEN)
    parser.add_argument(
        "--organizations", type=int, default=6, choices=range(1, MAX_ORGANIZATIONS + 1)
    )
    parser.add_argument(
        "--max-limit", type=int, default=100, help="largest page size (default 100)"
    )
    parser.add_argument(
        "--churn-per-minute",
        type=float,
        default=None,
        help="share of the fleet that drops per minute (default 0.001)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.devices < 0:
        print("--devices must be zero or more", file=sys.stderr)
        return 2
    tokens = dict(args.token) or {DEMO_TOKEN: None}
    sim = Simulator(
        devices=args.devices,
        seed=args.seed,
        tokens=tokens,
        latency_ms=args.latency_ms,
        control_token=args.control_token,
        op_delay_seconds=args.op_delay,
        organizations=args.organizations,
        max_limit=args.max_limit,
        churn_per_minute=args.churn_per_minute,
    )
    scopes = ", ".join(
        "all organizations" if orgs is None else "organizations " + ",".join(map(str, sorted(orgs)))
        for orgs in tokens.values()
    )
    print(
        f"Control API simulator: {len(sim.state.devices)} devices (seed {args.seed}) at "
        f"http://{args.host}:{args.port}/api/v1 ; {len(tokens)} token(s): {scopes}"
        + (f" ; demo token: {DEMO_TOKEN}" if DEMO_TOKEN in tokens else ""),
        flush=True,
    )
    uvicorn.run(
        create_app(sim),
        host=args.host,
        port=args.port,
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
