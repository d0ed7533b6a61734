"""Secrets and access: wrong secrets, tokens that expire mid-run, 403s at each scope and TLS
settings fail quickly and clearly, without retry storms; no secret reaches any output this
suite produces."""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from fixtures import add_outsider, seed_sources
from harness import OUTPUT_DIR, ModuleRun, Sim, azsim_session
from test_faults import assert_clear_failure, create_template, template_args

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
    return add_outsider(sim)


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


def test_sas_in_uris_is_masked_in_results_diffs_and_echoed_options(
    sim: Sim, ids: dict[str, str]
) -> None:
    """A SAS in a VHD target and in a script URI is part of a URL, not an option no_log
    knows: at -vvvv the create, its diff, the info module and a refusal show no signature."""
    signature = f"sas{secrets.token_hex(12)}"
    vhd_uri = (
        f"https://relacct.blob.core.windows.net/vhds/golden.vhd?sv=2024-11-04&sp=rw&sig={signature}"
    )
    script_uri = f"https://relacct.blob.core.windows.net/scripts/patch.sh?sp=r&sig={signature}"
    template = {
        **template_args(ids, "relsas"),
        "customize": [{"type": "shell", "name": "patch", "script_uri": script_uri}],
        "distribute": [{"type": "vhd", "run_output_name": "vhd", "uri": vhd_uri}],
    }
    play = {
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [
            {"name": "create", "goldenimage.azure.image_template": template, "diff": True},
            {
                "name": "read",
                "goldenimage.azure.image_template_info": {
                    "name": "relsas",
                    "resource_group": ids["rg"],
                },
                "register": "found",
            },
            {
                "name": "refused replace",
                "goldenimage.azure.image_template": {
                    **template,
                    "customize": [
                        {"type": "shell", "name": "patch", "script_uri": script_uri},
                        {"type": "shell", "name": "more", "inline": ["true"]},
                    ],
                    "replace": "never",
                },
                "diff": True,
                "ignore_errors": True,
            },
            {"name": "show", "ansible.builtin.debug": {"var": "found"}},
        ],
    }
    status, output, _requests = sim.run_playbook([play], extra_args=["-vvvv"], label="access-sas")
    assert status == 0, output[-3000:]
    assert "golden.vhd" in output and "patch.sh" in output  # the URIs themselves are shown
    assert "sig=REDACTED" in output or "********" in output
    assert signature not in output
    assert scan({"SAS signature": signature}) == []


def scan(watched: dict[str, str]) -> list[str]:
    leaks = []
    for path in sorted(OUTPUT_DIR.glob("*.log")):
        text = path.read_text(encoding="utf-8", errors="replace")
        leaks += [f"{name} in {path.name}" for name, value in watched.items() if value in text]
    return leaks


# --- tokens that expire during a run --------------------------------------------------------


@pytest.fixture
def token_policy(sim: Sim) -> Iterator[None]:
    """Scenarios change the stand-in's token lifetime and clock; both are restored after."""
    scale = sim.admin.clock()["scale"]
    yield
    sim.admin.call("POST", "tokens", {"lifetime_seconds": None})
    sim.admin.set_scale(scale)


def in_background(
    sim: Sim, run: Callable[[], ModuleRun], started: Callable[[list[dict[str, Any]]], bool]
) -> tuple[threading.Thread, list[ModuleRun]]:
    """Start `run` in a thread and return once the requests it sent satisfy `started`."""
    seq = sim.mark()
    results: list[ModuleRun] = []
    thread = threading.Thread(target=lambda: results.append(run()))
    thread.start()
    deadline = time.monotonic() + 60
    while not started(sim.since(seq)):
        assert thread.is_alive() and time.monotonic() < deadline, "the run never got there"
        time.sleep(0.1)
    return thread, results


def polling(template: str) -> Callable[[list[dict[str, Any]]], bool]:
    """The build was started and polled since: the module is waiting, with a token it used."""

    def waiting(entries: list[dict[str, Any]]) -> bool:
        run = f"/{template}/run"
        starts = [
            i for i, e in enumerate(entries) if e["method"] == "POST" and e["path"].endswith(run)
        ]
        return bool(starts) and any(
            e["kind"] == "arm" and e["method"] == "GET" and e["status"] == 200
            for e in entries[starts[0] + 1 :]
        )

    return waiting


def token_posts(run: ModuleRun) -> list[dict[str, Any]]:
    return [entry for entry in run.tokens if entry["method"] == "POST"]


def test_token_expiring_during_a_build_is_renewed(
    sim: Sim, ids: dict[str, str], token_policy: None
) -> None:
    """Tokens live 2 s and the build several seconds: the module renews its token as it nears expiry
    (azure-core refreshes within five minutes of it) and sends no expired token."""
    create_template(sim, ids, "tokrenew")
    sim.admin.call("POST", "tokens", {"lifetime_seconds": 2})
    sim.admin.set_scale(300)
    started = time.monotonic()
    run = sim.run(
        "image_build",
        {"name": "tokrenew", "resource_group": ids["rg"], "progress_interval": 1},
        label="access-token-renewed",
    )
    elapsed = time.monotonic() - started
    assert not run.failed and run.changed, run.describe()
    assert elapsed > 2 + 1, f"the build took {elapsed:.1f} s, not longer than a token lives"
    assert [e for e in run.arm if e["status"] == 401] == []
    posts = token_posts(run)
    assert all(e["status"] == 200 for e in posts)
    # A new token at most once per ARM request: renewal, not a storm.
    assert 2 <= len(posts) <= len(run.arm) + 1, f"{len(posts)} tokens for {len(run.arm)} requests"


def expire_mid_build(sim: Sim, ids: dict[str, str], template: str) -> tuple[ModuleRun, float]:
    """A build on a slow clock; once the module has polled it, every token issued expires.
    Returns the run and the seconds it took to end after the expiry."""
    create_template(sim, ids, template)
    sim.admin.set_scale(5)
    args = {"name": template, "resource_group": ids["rg"], "progress_interval": 1}
    thread, results = in_background(
        sim,
        lambda: sim.run("image_build", {**args, "wait_timeout": 120}, label=f"access-{template}"),
        polling(template),
    )
    sim.admin.call("POST", "tokens", {"expire_issued": True})
    expired = time.monotonic()
    thread.join(timeout=150)
    assert results, "the run did not return"
    return results[0], time.monotonic() - expired


def test_token_expired_by_the_server_mid_build_fails_fast_then_converges(
    sim: Sim, ids: dict[str, str], token_policy: None
) -> None:
    """ARM refuses the token the module still holds (401 ExpiredAuthenticationToken with a
    Bearer challenge): the run fails at once naming the template and the cause, without
    retrying the refusal; a re-run follows the build that is still running."""
    before = sim.state()
    run, ended_after = expire_mid_build(sim, ids, "tokexpired")
    assert run.failed, run.describe()
    assert_clear_failure(run, "tokexpired", "ExpiredAuthenticationToken")
    assert ended_after < 15, f"the run went on for {ended_after:.1f} s after its token expired"
    assert len([e for e in run.arm if e["status"] == 401]) <= 2, "the refusal was retried"
    assert len(token_posts(run)) <= 3
    sim.admin.set_scale(1200)
    args = {"name": "tokexpired", "resource_group": ids["rg"], "progress_interval": 1}
    again = sim.run("image_build", args, label="access-token-expired-rerun")
    assert not again.failed, again.describe()
    assert [e for e in again.writes if e["path"].endswith("/run")] == [], "a second build"
    assert before <= sim.state()


def test_token_expired_by_the_server_names_the_principal(
    sim: Sim, ids: dict[str, str], token_policy: None
) -> None:
    run, _ended_after = expire_mid_build(sim, ids, "tokwho")
    assert run.failed, run.describe()
    assert sim.stand_in.client_id in run.msg, run.msg


def test_token_renewal_after_a_secret_rotation_fails_fast_naming_the_principal(
    sim: Sim, ids: dict[str, str], token_policy: None
) -> None:
    """A principal's secret is rotated while its module waits for a build; its short-lived
    token expires and the renewal is refused: the run ends at once, naming the principal."""
    secret = f"rotating-{secrets.token_hex(12)}"
    principal = sim.admin.add_principal(
        client_id=str(uuid.uuid4()), secret=secret, display_name="reliability rotating"
    )
    granted = sim.run(
        "role_assignment",
        {
            "scope": f"/subscriptions/{sim.subscription_id}",
            "principal_id": principal["object_id"],
            "role_definition": "Contributor",
            "principal_type": "ServicePrincipal",
        },
    )
    assert not granted.failed, granted.describe()
    create_template(sim, ids, "tokrotated")
    before = sim.state()
    sim.admin.call("POST", "tokens", {"lifetime_seconds": 3})
    sim.admin.set_scale(5)
    args = {"name": "tokrotated", "resource_group": ids["rg"], "progress_interval": 1}
    thread, results = in_background(
        sim,
        lambda: sim.run(
            "image_build",
            {**args, "wait_timeout": 120},
            env=principal_env(principal["client_id"], secret),
            label="access-token-rotated",
        ),
        polling("tokrotated"),
    )
    sim.admin.call("PATCH", f"principals/{principal['client_id']}", {"secret": "rotated-away"})
    rotated = time.monotonic()
    thread.join(timeout=150)
    assert results, "the run did not return"
    run, ended_after = results[0], time.monotonic() - rotated
    assert run.failed, run.describe()
    assert principal["client_id"] in run.msg, run.msg
    assert "AADSTS7000215" in run.msg, run.msg
    assert ended_after < 15, f"the run went on for {ended_after:.1f} s after the rotation"
    refused = [e for e in token_posts(run) if e["status"] >= 400]
    assert 1 <= len(refused) <= 3, f"{len(refused)} refused token requests"
    assert secret not in run.stdout + run.stderr
    sim.admin.set_scale(1200)
    again = sim.run("image_build", args, label="access-token-rotated-rerun")
    assert not again.failed, again.describe()
    assert before <= sim.state()
