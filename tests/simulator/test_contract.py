"""The simulator checked against the written contract (controlapi/openapi.yaml) with
schemathesis, over real HTTP, so that the contract and the stand-in cannot drift."""

from pathlib import Path

import pytest
import schemathesis

from simulator.server import SimulatorServer

CONTRACT = Path(__file__).resolve().parents[2] / "controlapi" / "openapi.yaml"
TOKEN = "contract-token"

schema = schemathesis.openapi.from_path(CONTRACT)
# Like DRF, the API ignores query parameters it does not know, so negative tests
# must not expect unknown parameters to be rejected.
schema.config.generation.update(max_examples=60, deterministic=True, allow_extra_parameters=False)


@pytest.fixture(scope="module")
def contract_simulator():
    """A simulator of its own: schemathesis creates, edits and deletes devices."""
    with SimulatorServer(
        devices=200, seed=5, tokens={TOKEN: None}, latency_ms=0, op_delay_seconds=0.05
    ) as sim:
        yield sim


# A schema-valid body can still break a rule the contract cannot express (a serial
# number already in use, a type or firmware image id that does not exist): those are
# documented 400s, so "valid data must be accepted" does not apply.
EXCLUDED = [schemathesis.checks.positive_data_acceptance]


@schema.parametrize()
def test_simulator_answers_as_the_contract_says(case, contract_simulator):
    case.call_and_validate(
        base_url=contract_simulator.api_url,
        headers={"Authorization": f"Bearer {TOKEN}"},
        excluded_checks=EXCLUDED,
    )


def test_contract_and_simulator_have_the_same_endpoints():
    import yaml

    from simulator import api

    document = yaml.safe_load(CONTRACT.read_text())
    documented = {
        (method.upper(), f"{api.PREFIX}{path}")
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    served = {
        (method, pattern.pattern.replace("(?P<id>[^/]+)", "{id}"))
        for pattern, handlers in api.ROUTES
        for method in handlers
    }
    assert documented == served
