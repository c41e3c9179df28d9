"""The simulator as an ASGI application: one `Simulator` (state, tokens, faults, log)
behind a Starlette app with the /api/ routes, the /_sim/ control routes and the
OpenAPI document."""

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator import api, control_routes, gateway
from simulator.faults import Faults
from simulator.requestlog import RequestLog
from simulator.state import Settings, SimulatorState

DEMO_TOKEN = "demo-token"  # documented: used when no token is configured, sees all orgs
DEFAULT_CONTROL_TOKEN = "sim-control"
OPENAPI_PATH = Path(__file__).resolve().parent.parent / "controlapi" / "openapi.yaml"


class Simulator:
    def __init__(
        self,
        *,
        devices: int = 5000,
        seed: int = 1,
        tokens: dict[str, set[int] | frozenset[int] | None] | None = None,
        latency_ms: float = 250.0,
        control_token: str = DEFAULT_CONTROL_TOKEN,
        op_delay_seconds: float = 5.0,
        organizations: int = 6,
        max_limit: int = 100,
        churn_per_minute: float | None = None,
    ):
        settings = Settings(
            op_delay_seconds=op_delay_seconds,
            update_status_latency_ms=latency_ms,
            max_limit=max_limit,
        )
        if churn_per_minute is not None:
            settings.churn_per_minute = churn_per_minute
        self.state = SimulatorState(
            devices=devices, seed=seed, organizations=organizations, settings=settings
        )
        if not tokens:
            tokens = {DEMO_TOKEN: None}
        self.tokens = {t: (None if orgs is None else frozenset(orgs)) for t, orgs in tokens.items()}
        self.control_token = control_token
        self.faults = Faults(seed)
        self.log = RequestLog()


async def openapi_document(request: Request) -> Response:
    """The written contract, served without auth so tools can fetch it."""
    if not OPENAPI_PATH.exists():
        return gateway.json_response(404, {"detail": "The OpenAPI document is not installed."})
    return Response(OPENAPI_PATH.read_bytes(), media_type="application/yaml")


def create_app(sim: Simulator) -> Starlette:
    async def api_endpoint(request: Request) -> Response:
        return await gateway.handle(sim, api.ROUTES, request)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    app = Starlette(
        routes=[
            Route(f"{api.PREFIX}/openapi.yaml", openapi_document, methods=["GET"]),
            *control_routes.ROUTES,
            Route("/api/{rest:path}", api_endpoint, methods=methods),
        ]
    )
    app.state.sim = sim
    return app
