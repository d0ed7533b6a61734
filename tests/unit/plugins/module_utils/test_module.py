# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AzureModule end to end: a small module's main() run in-process, Azure faked at HTTP level."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("azure.mgmt.core", reason="azure-mgmt-core is not installed")

from ansible_collections.goldenimage.azure.plugins.module_utils import _module
from ansible_collections.goldenimage.azure.plugins.module_utils._clients import (
    import_attribute,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._diff import DiffTracker
from ansible_collections.goldenimage.azure.plugins.module_utils._errors import get_or_none
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule
from ansible_collections.goldenimage.azure.plugins.module_utils._tags import desired_tags
from ansible_collections.goldenimage.azure.tests.unit.azure_fakes import (
    FakeTransport,
    Reply,
    arm_error,
    fake_azure,
)
from ansible_collections.goldenimage.azure.tests.unit.harness import ModuleResult

API = "2022-09-01"
_real_build_credential = _module.build_credential
SECRET = "env-secret-Zq9"
RG_URL = r"/subscriptions/sub-1/resourceGroups/rg1\?"


def resource_group_main() -> None:
    """A minimal tags-only resource group module, written the way the collection's modules are."""
    module = AzureModule(
        {"name": {"type": "str", "required": True}, "needs_package": {"type": "str"}},
        tags=True,
        wait=True,
        result_key="resource_group",
    )
    module.validate_pattern("name", r"[a-z0-9]{1,10}", "1 to 10 lowercase letters or digits")
    if module.params["needs_package"]:
        package = module.params["needs_package"]
        try:
            import_attribute(package.replace("-", "."), "Client", package)
        except Exception as exc:
            module.fail_from(exc)
    label = f"resource group {module.params['name']}"
    path = f"/subscriptions/{module.subscription_id}/resourceGroups/{module.params['name']}"
    try:
        current = get_or_none(module.arm.get, path, API, resource=label) or {}
    except Exception as exc:
        module.fail_from(exc, verb="read", resource=label)
    tracker = DiffTracker()
    change = desired_tags(current.get("tags"), module.params["tags"], module.params["purge_tags"])
    if change is not None and change.changed:
        tracker.add("tags", current.get("tags"), change.tags)
    result = dict(current, tags=change.tags if change else current.get("tags"))
    if tracker.changed and not module.check_mode:
        try:
            result = module.arm.patch(path, API, {"tags": result["tags"]}) or result
        except Exception as exc:
            module.fail_from(exc, verb="update", resource=label)
    module.exit(
        changed=tracker.changed, resource=result, diff=tracker, duration=module.waiter().duration
    )


@pytest.fixture
def azure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeTransport:
    """AWX-style environment, a fake credential and a fake transport under the real pipeline."""
    return fake_azure(monkeypatch, tmp_path, "sub-1", secret=SECRET)


Runner = Callable[..., ModuleResult]


def test_check_mode_predicts_the_change_writes_nothing_and_shows_the_diff(
    azure: FakeTransport, module_runner: Runner
) -> None:
    azure.add(
        "GET", RG_URL, Reply(200, {"name": "rg1", "location": "eastus", "tags": {"old": "1"}})
    )
    result = module_runner(
        resource_group_main, {"name": "rg1", "tags": {"env": "prod"}}, check_mode=True, diff=True
    )
    assert not result.failed, result.result
    assert result.changed and result["resource_group"]["tags"] == {"env": "prod"}
    assert result["diff"] == {"before": {"tags": {"old": "1"}}, "after": {"tags": {"env": "prod"}}}
    assert result["duration"] == 0.0
    assert azure.calls("PATCH") == []


def test_change_is_written_then_idempotent(azure: FakeTransport, module_runner: Runner) -> None:
    azure.add(
        "GET",
        RG_URL,
        Reply(200, {"name": "rg1", "tags": {}}),
        Reply(200, {"name": "rg1", "tags": {"env": "prod"}}),
    )
    azure.add("PATCH", RG_URL, Reply(200, {"name": "rg1", "tags": {"env": "prod"}}))
    first = module_runner(resource_group_main, {"name": "rg1", "tags": {"env": "prod"}})
    assert first.changed and len(azure.calls("PATCH")) == 1
    assert "diff" not in first.result  # only in diff mode
    second = module_runner(resource_group_main, {"name": "rg1", "tags": {"env": "prod"}})
    assert not second.failed and not second.changed and len(azure.calls("PATCH")) == 1


def test_azure_refusal_is_one_clear_message_and_secrets_are_masked(
    azure: FakeTransport, module_runner: Runner
) -> None:
    azure.add(
        "GET",
        RG_URL,
        arm_error(403, "AuthorizationFailed", f"Client app-1 ({SECRET}) lacks read.", "rid-3"),
    )
    result = module_runner(resource_group_main, {"name": "rg1"})
    assert result.failed
    assert result.msg.startswith(
        "Azure refused to read resource group rg1: AuthorizationFailed: Client app-1"
    )
    assert result["error"]["request_id"] == "rid-3" and result["error"]["status"] == 403
    assert SECRET not in str(result.result)


def test_invalid_option_fails_naming_it_before_any_request(
    azure: FakeTransport, module_runner: Runner
) -> None:
    result = module_runner(resource_group_main, {"name": "Bad_Name"})
    assert result.failed
    assert result.msg == "Invalid name 'Bad_Name': expected 1 to 10 lowercase letters or digits."
    assert azure.requests == []


def test_negative_wait_timeout_is_refused_before_any_request(
    azure: FakeTransport, module_runner: Runner
) -> None:
    result = module_runner(resource_group_main, {"name": "rg1", "wait_timeout": -5})
    assert result.failed
    assert result.msg.startswith("Invalid wait_timeout -5: expected a number of seconds")
    assert azure.requests == []


def test_missing_sdk_names_the_pip_package(
    azure: FakeTransport, module_runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = module_runner(
        resource_group_main, {"name": "rg1", "needs_package": "azure-mgmt-doesnotexist"}
    )
    assert result.failed
    assert "Failed to import the required Python library (azure-mgmt-doesnotexist)" in result.msg


def test_validate_certs_false_warns(azure: FakeTransport, module_runner: Runner) -> None:
    azure.add("GET", RG_URL, Reply(200, {"name": "rg1", "tags": {}}))
    result = module_runner(resource_group_main, {"name": "rg1", "validate_certs": False})
    assert not result.failed
    assert any("validate_certs is false" in warning for warning in result.warnings)


def test_missing_subscription_is_named(
    azure: FakeTransport, module_runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID")
    result = module_runner(resource_group_main, {"name": "rg1"})
    assert result.failed and result.msg.startswith("subscription_id is required")


def test_no_credentials_is_a_clear_failure(
    azure: FakeTransport, module_runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_TENANT"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("PATH", "/nonexistent")
    result = module_runner(resource_group_main, {"name": "rg1"})
    assert result.failed and result.msg.startswith("No Azure credentials found")


def test_shared_option_groups_are_merged_and_clashes_refused() -> None:
    from ansible_collections.goldenimage.azure.plugins.module_utils._args import (
        AUTH_ARGUMENT_SPEC,
        merged_spec,
    )

    with pytest.raises(ValueError, match="Options defined twice: tenant"):
        merged_spec({"tenant": {"type": "str"}}, AUTH_ARGUMENT_SPEC)


def test_unexpected_exceptions_keep_their_type(
    azure: FakeTransport, module_runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("properties")

    monkeypatch.setattr(
        "ansible_collections.goldenimage.azure.plugins.module_utils._arm.ArmClient.get", broken
    )
    result = module_runner(resource_group_main, {"name": "rg1"})
    assert result.failed
    assert (
        result.msg
        == "Unexpected error while trying to read resource group rg1: KeyError: 'properties'"
    )


class RefusingCredential:
    """What azure-identity raises when Entra ID refuses the secret."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.exceptions import ClientAuthenticationError

        raise ClientAuthenticationError(
            message="AADSTS7000215: Invalid client secret provided.\nTrace ID: x"
        )


def test_refused_token_names_principal_and_authority(
    azure: FakeTransport, module_runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_module, "build_credential", lambda *args: RefusingCredential())
    result = module_runner(resource_group_main, {"name": "rg1"})
    assert result.failed
    assert result.msg == (
        "Azure authentication failed for client id app-1 at https://login.microsoftonline.com/: "
        "AADSTS7000215: Invalid client secret provided."
    )
    assert azure.requests == []  # the token comes before any ARM request


def fake_az(directory: Path, runs: Path) -> None:
    """An ``az`` that answers ``account show`` and ``account get-access-token`` like the real one."""
    directory.mkdir()
    script = directory / "az"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{runs}"\n'
        'case "$*" in\n'
        '  "account show"*) echo \'{"id": "sub-cli", "tenantId": "t-cli"}\' ;;\n'
        '  "account get-access-token"*) echo \'{"accessToken": "cli-token", "expires_on": 4102444800}\' ;;\n'
        "  *) exit 2 ;;\n"
        "esac\n"
    )
    script.chmod(0o755)


def test_cli_login_supplies_token_and_subscription_once_per_playbook(
    azure: FakeTransport, module_runner: Runner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("azure.identity")
    for name in ("AZURE_SUBSCRIPTION_ID", "AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_TENANT"):
        monkeypatch.delenv(name)
    monkeypatch.setattr(_module, "build_credential", _real_build_credential)
    runs = tmp_path / "az-runs"
    fake_az(tmp_path / "bin", runs)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    (tmp_path / "azureProfile.json").write_text("{}")  # what `az login` leaves behind
    azure.add(
        "GET",
        r"/subscriptions/sub-cli/resourceGroups/rg1\?",
        Reply(200, {"name": "rg1", "tags": {}}),
    )
    for _task in range(2):
        result = module_runner(resource_group_main, {"name": "rg1"})
        assert not result.failed, result.msg
    assert [request.headers["Authorization"] for request in azure.requests] == [
        "Bearer cli-token"
    ] * 2
    commands = runs.read_text().splitlines()
    assert len(commands) == 2  # one `account show`, one `account get-access-token`, then the cache
    assert commands[0].startswith("account show") and commands[1].startswith(
        "account get-access-token"
    )


class SdkModel:
    """Like a generated SDK model: serialisable through ``as_dict``."""

    def as_dict(self) -> dict[str, Any]:
        return {"name": "rg1", "provisioning_state": "Creating"}


def timing_out_main() -> None:
    from ansible_collections.goldenimage.azure.plugins.module_utils._waiter import WaitTimeoutError

    module = AzureModule({}, wait=True, result_key="resource_group")
    module.fail_from(
        WaitTimeoutError("resource group rg1", module.params["wait_timeout"], SdkModel())
    )


def test_timeout_reports_the_partial_state(module_runner: Runner) -> None:
    result = module_runner(timing_out_main, {"wait_timeout": 7})
    assert result.failed and result["timed_out"] is True
    assert result.msg == "Timed out after 7 seconds waiting for resource group rg1."
    assert result["resource_group"] == {"name": "rg1", "provisioning_state": "Creating"}


@pytest.mark.parametrize(
    ("given", "expected"), [(0, 0), (5, 5), (None, _module.DEFAULT_WAIT_TIMEOUT)]
)
def test_waiter_keeps_a_zero_timeout(given: int | None, expected: int) -> None:
    # wait_timeout: 0 is a deadline that has already passed, not a request for the default.
    module = object.__new__(AzureModule)
    module.module = SimpleNamespace(params={"wait": True, "wait_timeout": given}, check_mode=False)
    assert module.waiter().timeout == expected
