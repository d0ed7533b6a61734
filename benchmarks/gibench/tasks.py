"""Per-task cost: the collection's modules next to ansible.builtin.ping in one playbook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gibench import playbook
from gibench.playbook import Task
from gibench.scenarios import Context, Scenario
from gibench.standin import StandIn

COLLECTION = "goldenimage.azure"
PING = "ansible.builtin.ping"
BUILDER_ROLE = "b24988ac-6180-42a0-ab88-20f7382dd24c"  # Contributor


def seed_context(standin: StandIn, resource_group: str) -> Context:
    """The resource group and the identity image templates build as, seeded directly."""
    group_id = standin.seed_group(resource_group)
    identity_id = f"{group_id}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/bench"
    principal = "6b0e3f55-8c1f-4c6e-9a51-0c0f5a2b9e01"
    standin.admin.seed(
        [
            {
                "id": identity_id,
                "body": {
                    "location": "eastus",
                    "properties": {
                        "principalId": principal,
                        "clientId": "0f6a1c1e-4d7b-4e5e-9b1b-7d1f3a9c2e10",
                        "tenantId": standin.info["tenant_id"],
                    },
                },
            },
            {
                "id": f"{group_id}/providers/Microsoft.Authorization/roleAssignments/"
                "4c5d7e0a-2b1f-4b8e-8f3a-9d6c1e2f3a40",
                "body": {
                    "properties": {
                        "principalId": principal,
                        "principalType": "ServicePrincipal",
                        "roleDefinitionId": f"/subscriptions/{standin.subscription_id}/providers/"
                        f"Microsoft.Authorization/roleDefinitions/{BUILDER_ROLE}",
                        "scope": group_id,
                    }
                },
            },
        ]
    )
    return Context(
        resource_group=resource_group,
        group_id=group_id,
        identity_id=identity_id,
        subscription_id=standin.subscription_id,
        managed_image_id=seed_managed_image(standin, group_id),
    )


def seed_managed_image(standin: StandIn, group_id: str) -> str:
    """A generalized Linux V2 managed image that image versions are published from."""
    image_id = f"{group_id}/providers/Microsoft.Compute/images/bench-source"
    disk = {"osType": "Linux", "osState": "Generalized", "diskSizeGB": 30}
    body = {
        "location": "eastus",
        "properties": {
            "provisioningState": "Succeeded",
            "hyperVGeneration": "V2",
            "storageProfile": {"osDisk": disk},
        },
    }
    standin.admin.seed([{"id": image_id, "body": body}])
    return image_id


def ping_tasks(count: int) -> list[Task]:
    return [Task("ping", PING, {}) for _ in range(count)]


def module_tasks(scenario: Scenario, ctx: Context, count: int) -> list[Task]:
    fqcn = f"{COLLECTION}.{scenario.module}"
    tasks = [
        Task(f"{scenario.module}/setup", f"{COLLECTION}.{module}", args, timed=False)
        for module, args in scenario.setup(ctx)
    ]
    if scenario.create is not None:
        tasks += [
            Task(f"{scenario.module}/create", fqcn, scenario.create(ctx, i)) for i in range(count)
        ]
    tasks += [Task(f"{scenario.module}/noop", fqcn, scenario.noop(ctx, i)) for i in range(count)]
    return tasks


def build_tasks(scenarios: list[Scenario], ctx: Context, count: int) -> list[Task]:
    # An untimed ping first: the first task of a play pays one-off controller costs.
    tasks = [Task("warm-up", PING, {}, timed=False), *ping_tasks(count)]
    for scenario in scenarios:
        tasks += module_tasks(scenario, ctx, count)
    return tasks + ping_tasks(count)


def measure(
    standin: StandIn,
    ansible_bin: Path,
    python: Path,
    workdir: Path,
    collections: Path,
    scenarios: list[Scenario],
    ctx: Context,
    count: int,
) -> tuple[dict[str, Any], playbook.Run]:
    env = {**standin.env, "ANSIBLE_COLLECTIONS_PATH": str(collections)}
    run = playbook.run(
        ansible_bin / "ansible-playbook",
        workdir,
        "tasks",
        build_tasks(scenarios, ctx, count),
        env,
        standin.admin,
        python=python,
        module_defaults={f"group/{COLLECTION}.azure": {"subscription_id": ctx.subscription_id}},
    )
    return {label: playbook.summarize(results) for label, results in run.by_label().items()}, run
