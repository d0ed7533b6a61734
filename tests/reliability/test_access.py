"""Secrets and access: wrong secrets, 403s at each scope and TLS settings fail quickly and
clearly, without retry storms; no secret reaches any output this suite produces."""

from __future__ import annotations

import json
import secrets
import uuid
from pathlib import Path

import pytest
import requests
from fixtures import seed_sources
from harness import OUTPUT_DIR, Sim, azsim_session

READER = "Reader"


@pytest.fixture(scope="module")
def ids(sim: Sim, group: str) -> dict[str, str]:
    return {"rg": group, **seed_sources(sim, group)}


def principal_env(client_id: str, secret: str) -> dict[str, str]:
    return {
        "AZURE_CLIENT_ID": client_id,
        "AZURE_SECRET": secret,
        "AZURE_CLIENT_SECRET": secret,
    }


def test_wrong_secret_fails_once_naming_the_principal(sim: Sim, ids: dict[str, str]) -> None:
    wrong = f"wrong-{secrets.token_hex(8)}"
    run = sim.run(
        "gallery",
        {"name": "relgal", "resource_group": ids["rg"]},
        env=principal_env(sim.stand_in.client_id, wrong),
        label="access-wrong-secret",
    )
    assert run.failed, run.describe()
    assert sim.stand_in.client_id in run.msg, run.msg
    assert "AADSTS7000215" in run.msg or "secret" in run.msg.lower(), run.msg
    assert run.arm == [], "an ARM request went out without a token"
    token_posts = [entry for entry in run.tokens if entry["method"] == "POST"]
    assert 1 <= len(token_posts) <= 3, f"{len(token_posts)} token requests for one refusal"
    assert wrong not in run.stdout + run.stderr


def test_secret_option_is_masked_in_every_result(sim: Sim, ids: dict[str, str]) -> None:
    marker = f"optsecret-{secrets.token_hex(8)}"
    run = sim.run(
        "gallery",
        {
            "name": "relgal",
            "resource_group": ids["rg"],
            "client_id": sim.stand_in.client_id,
            "tenant": sim.stand_in.tenant_id,
            "secret": marker,
            "auth_source": "auto",
        },
        diff=True,
        label="access-secret-option",
    )
    assert run.failed
    assert marker not in run.stdout + run.stderr


@pytest.fixture(scope="module")
def outsider(sim: Sim) -> dict[str, str]:
    """A principal the tenant knows, with no role anywhere (roles are added per scenario)."""
    secret = f"outsider-{secrets.token_hex(12)}"
    record = sim.admin.add_principal(
        client_id=str(uuid.uuid4()), secret=secret, display_name="reliability outsider"
    )
    return {"client_id": record["client_id"], "object_id": record["object_id"], "secret": secret}


@pytest.mark.parametrize("scope", ["subscription", "resource_group", "resource"])
def test_forbidden_at_each_scope_fails_fast_naming_principal_and_scope(
    sim: Sim, ids: dict[str, str], outsider: dict[str, str], scope: str
) -> None:
    """No role (403 at the subscription), Reader on the group (write refused at the group's
    gallery), Reader on the gallery only (its definition cannot be written)."""
    gallery_id = ids["gallery"]
    if scope != "subscription":
        reader_scope = sim.group_id(ids["rg"]) if scope == "resource_group" else gallery_id
        granted = sim.run(
            "role_assignment",
            {
                "scope": reader_scope,
                "principal_id": outsider["object_id"],
                "role_definition": READER,
                "principal_type": "ServicePrincipal",
            },
        )
        assert not granted.failed, granted.describe()
    module, args, target = {
        "subscription": (
            "gallery",
            {"name": "forbidden", "resource_group": ids["rg"], "location": "eastus"},
            "forbidden",
        ),
        "resource_group": (
            "gallery",
            {"name": "forbidden", "resource_group": ids["rg"], "location": "eastus"},
            "forbidden",
        ),
        "resource": (
            "gallery_image",
            {
                "name": "forbidden",
                "gallery_name": "relgal",
                "resource_group": ids["rg"],
                "os_type": "Linux",
                "os_state": "Generalized",
                "publisher": "p",
                "offer": "o",
                "sku": "s",
            },
            "forbidden",
        ),
    }[scope]
    before = sim.state()
    run = sim.run(
        module,
        args,
        env=principal_env(outsider["client_id"], outsider["secret"]),
        label=f"access-forbidden-{scope}",
    )
    assert run.failed, run.describe()
    assert "AuthorizationFailed" in run.msg, run.msg
    assert outsider["client_id"] in run.msg or outsider["object_id"] in run.msg, run.msg
    assert target in run.msg and "/subscriptions/" in run.msg, run.msg
    assert len(run.arm) <= 3, f"{len(run.arm)} ARM requests for one refusal"
    assert [e for e in run.arm if e["status"] < 400 and e["method"] != "GET"] == []
    assert sim.state() == before


def test_wrong_ca_bundle_is_a_tls_error(sim: Sim, ids: dict[str, str]) -> None:
    import certifi

    run = sim.run(
        "gallery",
        {"name": "relgal", "resource_group": ids["rg"], "ca_bundle": certifi.where()},
        env={"REQUESTS_CA_BUNDLE": certifi.where()},
        label="access-wrong-ca",
    )
    assert run.failed, run.describe()
    assert any(word in run.msg.lower() for word in ("certificate", "ssl", "tls")), run.msg
    assert run.arm == []


def test_validate_certs_false_is_explicit_and_warns(sim: Sim, ids: dict[str, str]) -> None:
    import certifi

    args = {"name": "relgal", "resource_group": ids["rg"]}
    env = {"REQUESTS_CA_BUNDLE": certifi.where()}
    quiet = sim.run("gallery", {**args, "validate_certs": False}, env=env, label="access-novalid")
    assert not quiet.failed, quiet.describe()
    # ansible-core 2.19 returns warnings as structured events, 2.16 as strings.
    assert "validate_certs is false" in json.dumps(quiet.result.get("warnings", []))


def known_secrets(sim: Sim) -> dict[str, str]:
    """The client secret, the federated token and the keys of a storage account."""
    info = json.loads((sim.stand_in.state_dir / "azsim.json").read_text(encoding="utf-8"))
    found = {"client secret": info["client_secret"]}
    token_file = info.get("federated_token_file")
    if token_file and Path(token_file).exists():
        found["federated token"] = Path(token_file).read_text(encoding="utf-8").strip()
    return found


def storage_keys(sim: Sim, group: str) -> dict[str, str]:
    account = f"{sim.group_id(group)}/providers/Microsoft.Storage/storageAccounts/relkeys"
    token = azsim_session.management_token(sim.stand_in)
    created = requests.put(
        f"{sim.stand_in.url}{account}",
        params={"api-version": "2023-01-01"},
        json={"location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}},
        headers={"Authorization": f"Bearer {token}"},
        verify=sim.stand_in.ca_file,
        timeout=30,
    )
    assert created.status_code in (200, 201, 202), created.text
    response = requests.post(
        f"{sim.stand_in.url}{account}/listKeys",
        params={"api-version": "2023-01-01"},
        headers={"Authorization": f"Bearer {token}"},
        verify=sim.stand_in.ca_file,
        timeout=30,
    )
    response.raise_for_status()
    return {f"storage key {key['keyName']}": key["value"] for key in response.json()["keys"]}


def test_no_secret_in_any_output_at_full_verbosity(sim: Sim, ids: dict[str, str]) -> None:
    """A -vvvv playbook that logs in with the secret given as options, succeeds, fails and
    diffs; then every transcript of the suite so far is scanned."""
    watched = {**known_secrets(sim), **storage_keys(sim, ids["rg"])}
    auth = {
        "client_id": sim.stand_in.client_id,
        "secret": sim.stand_in.client_secret,
        "tenant": sim.stand_in.tenant_id,
        "subscription_id": sim.subscription_id,
    }
    play = {
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [
            {
                "name": "read",
                "goldenimage.azure.gallery_info": {"resource_group": ids["rg"], **auth},
                "register": "found",
            },
            {
                "name": "change",
                "goldenimage.azure.gallery": {
                    "name": "relgal",
                    "resource_group": ids["rg"],
                    "description": "scan",
                    **auth,
                },
                "diff": True,
                "register": "changed",
            },
            {
                "name": "refused",
                "goldenimage.azure.gallery": {
                    "name": "bad name!",
                    "resource_group": ids["rg"],
                    **auth,
                },
                "ignore_errors": True,
            },
            {"name": "show", "ansible.builtin.debug": {"var": "changed"}},
        ],
    }
    status, output, _requests = sim.run_playbook([play], extra_args=["-vvvv"], label="access-vvvv")
    assert status == 0, output[-3000:]
    assert "description" in output  # the run really produced its diff and results
    leaks = scan(watched)
    assert leaks == [], f"secrets found: {leaks}"


def scan(watched: dict[str, str]) -> list[str]:
    leaks = []
    for path in sorted(OUTPUT_DIR.glob("*.log")):
        text = path.read_text(encoding="utf-8", errors="replace")
        leaks += [f"{name} in {path.name}" for name, value in watched.items() if value in text]
    return leaks
