"""A representative subset of the fault matrix, check mode, secrets and roles, run again with
each older ansible-core (`--older-ansible-venv`, default `.venv-2.16`) against the same stand-in.

The Azure SDKs are the same in every virtual environment; what differs with ansible-core is how
arguments are validated and masked (`no_log`), how check mode, diff mode and warnings reach the
result, and how playbooks and roles run. So the subset takes every module once through a fault
(each fault kind at least once), check mode and diff mode of three modules, every secrets and
access case that reads module output, the `-vvvv` scan, and one role under faults. Token expiry
is left to the main suite: it happens in azure-core and azure-identity, not in ansible-core.

Each case calls the main suite's scenario with a `Sim` whose modules and playbooks run on the
older ansible-core, in a resource group of this file's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import test_access
import test_check_mode
import test_faults
import test_role_faults
from fixtures import add_outsider, seed_sources
from harness import Sim


@pytest.fixture(scope="module")
def core_sim(sim: Sim, ansible_python: Path) -> Iterator[Sim]:
    running = sim.with_python(ansible_python)
    yield running
    running.close()


@pytest.fixture(scope="module")
def ids(sim: Sim, group: str) -> dict[str, str]:
    return {"rg": group, **seed_sources(sim, group)}


@pytest.fixture(scope="module")
def outsider(sim: Sim) -> dict[str, str]:
    return add_outsider(sim)


# Every module once, every fault kind at least once.
FAULT_CASES = [
    ("gallery", "throttled-429"),
    ("gallery_image", "server-error-500"),
    ("gallery_image_version", "unavailable-503"),
    ("image_build", "connection-reset"),
    ("image_template", "slow-responses"),
    ("managed_image", "throttled-429"),
    ("user_assigned_identity", "connection-reset"),
]


@pytest.mark.parametrize(
    ("operation_name", "fault"), FAULT_CASES, ids=[f"{op}-{fault}" for op, fault in FAULT_CASES]
)
def test_transient_fault(
    core_sim: Sim, ids: dict[str, str], operation_name: str, fault: str
) -> None:
    test_faults.test_transient_fault(core_sim, ids, operation_name, fault)


def test_throttling_storm_fails_without_a_retry_storm(core_sim: Sim, ids: dict[str, str]) -> None:
    test_faults.test_throttling_storm_fails_without_a_retry_storm(core_sim, ids)


@pytest.mark.parametrize("module", ["gallery", "gallery_image_version", "image_template"])
def test_check_mode_predicts_the_real_run(core_sim: Sim, ids: dict[str, str], module: str) -> None:
    test_check_mode.test_check_mode_predicts_the_real_run(core_sim, ids, module)


def test_check_mode_of_a_delete_keeps_everything(core_sim: Sim, ids: dict[str, str]) -> None:
    test_check_mode.test_check_mode_of_a_delete_keeps_everything(core_sim, ids)


def test_wrong_secret_fails_once_naming_the_principal(core_sim: Sim, ids: dict[str, str]) -> None:
    test_access.test_wrong_secret_fails_once_naming_the_principal(core_sim, ids)


def test_secret_option_is_masked_in_every_result(core_sim: Sim, ids: dict[str, str]) -> None:
    test_access.test_secret_option_is_masked_in_every_result(core_sim, ids)


def test_forbidden_at_the_group_fails_fast_naming_principal_and_scope(
    core_sim: Sim, ids: dict[str, str], outsider: dict[str, str]
) -> None:
    test_access.test_forbidden_at_each_scope_fails_fast_naming_principal_and_scope(
        core_sim, ids, outsider, "resource_group"
    )


def test_validate_certs_false_is_explicit_and_warns(core_sim: Sim, ids: dict[str, str]) -> None:
    test_access.test_validate_certs_false_is_explicit_and_warns(core_sim, ids)


def test_no_secret_in_any_output_at_full_verbosity(core_sim: Sim, ids: dict[str, str]) -> None:
    test_access.test_no_secret_in_any_output_at_full_verbosity(core_sim, ids)


def test_gallery_role_under_faults_converges(
    core_sim: Sim, ids: dict[str, str], request: pytest.FixtureRequest
) -> None:
    test_role_faults.test_role_under_faults_converges(core_sim, ids, "gallery", request)
