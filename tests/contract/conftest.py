"""The contract suite's fixtures: one in-process sandbox, one :class:`ContractEnv` per CRM."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest

from tests.contract.env import ContractEnv

CRMS = ("hubspot", "salesforce")


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Any]:
    module = pytest.importorskip("sandbox")
    if not hasattr(module, "Sandbox"):
        pytest.skip("the sandbox package does not export Sandbox yet")
    sb = module.Sandbox(module.SandboxConfig(seed=7)).start(port=0)
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture(params=CRMS)
def env(request: pytest.FixtureRequest, sandbox: Any) -> Iterator[ContractEnv]:
    try:
        module = importlib.import_module(f"tests.contract.{request.param}_env")
    except ModuleNotFoundError:
        pytest.skip(f"no tests/contract/{request.param}_env.py")
    sandbox.reset()
    sandbox.clear_faults()
    built: ContractEnv = module.make_env(sandbox)
    try:
        yield built
    finally:
        built.connector.close()
