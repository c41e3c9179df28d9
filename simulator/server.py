"""SimulatorServer: the simulator on uvicorn in a background thread (tests, demos).

with SimulatorServer(devices=500, seed=1, tokens={"t": None}, latency_ms=0) as sim:
    sim.api_url  # http://127.0.0.1:<port>/api/v1
"""

import socket
import threading
import time

import uvicorn

from simulator.app import DEFAULT_CONTROL_TOKEN, Simulator, create_app

START_TIMEOUT_SECONDS = 30.0


class SimulatorServer:
    def __init__(
        self,
        devices: int = 5000,
        seed: int = 1,
        tokens: dict | None = None,
        latency_ms: float = 250.0,
        control_token: str = DEFAULT_CONTROL_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        op_delay_seconds: float = 5.0,
        **options,
    ):
        self.simulator = Simulator(
            devices=devices,
            seed=seed,
            tokens=tokens,
            latency_ms=latency_ms,
            control_token=control_token,
            op_delay_seconds=op_delay_seconds,
            **options,
        )
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def control_token(self) -> str:
        return self.simulator.control_token

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v1"

    def start(self) -> "SimulatorServer":
        """Start serving; returns once the server accepts connections."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit this; without it small answers wait ~40 ms (Nagle).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._socket = sock
        config = uvicorn.Config(
            create_app(self.simulator),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="simulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> "SimulatorServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
