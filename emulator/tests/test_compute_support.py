"""Helpers the Microsoft.Compute integration tests share: request bodies, raw ARM calls for
what the SDK cannot send, and the VM -> generalize -> managed image flow."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError

from azsim.client import AdminClient
from azsim.core.sim import owner_assignment

GALLERY_API = "2026-03-03"
COMPUTE_API = "2026-04-01"
CONTRIBUTOR_ROLE_ID = "b24988ac-6180-42a0-ab88-20f7382dd24c"
UBUNTU = {
    "publisher": "Canonical",
    "offer": "ubuntu-24_04-lts",
    "sku": "server",
    "version": "latest",
}


def gallery_body(location: str = "eastus", tags: dict | None = None, **properties: Any) -> dict:
    return {"location": location, "tags": tags or {}, "properties": properties}


def image_body(location: str = "eastus", **overrides: Any) -> dict:
    properties = {
        "identifier": {"publisher": "Contoso", "offer": "Base", "sku": "ubuntu"},
        "osType": "Linux",
        "osState": "Generalized",
    }
    properties.update(overrides)
    return {"location": location, "properties": properties}


def version_body(
    source_id: str | None,
    regions: list[dict] | None = None,
    exclude_from_latest: bool = False,
    location: str = "eastus",
) -> dict:
    publishing: dict[str, Any] = {"excludeFromLatest": exclude_from_latest}
    publishing["targetRegions"] = regions or [{"name": location}]
    storage = {"source": {"id": source_id}} if source_id else {}
    return {
        "location": location,
        "properties": {"publishingProfile": publishing, "storageProfile": storage},
    }


def error_of(call: Callable[[], Any]) -> HttpResponseError:
    """The service error a call (or the long-running operation it starts) ends with."""
    with pytest.raises(HttpResponseError) as caught:
        result = call()
        if hasattr(result, "result"):
            result.result()
    return caught.value


class Arm:
    """Plain HTTPS calls with the test principal's token, and the admin API."""

    def __init__(
        self, azsim: dict[str, Any], credential: Any, arm_settings: dict[str, Any]
    ) -> None:
        self.url = arm_settings["base_url"].rstrip("/")
        self.subscription_id = azsim["subscription_id"]
        self.ca_file = azsim["ca_file"]
        self.admin = AdminClient.from_info(azsim)
        self._credential = credential
        self._scope = arm_settings["credential_scopes"][0]
        self.client_id = azsim["client_id"]

    def token(self) -> str:
        return self._credential.get_token(self._scope).token

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        api_version: str = GALLERY_API,
        query: dict[str, str] | None = None,
    ) -> tuple[int, Any, requests.structures.CaseInsensitiveDict]:
        params = {"api-version": api_version, **(query or {})}
        response = requests.request(
            method,
            self.url + (path.rstrip("/") if path != "/" else path),
            params=params,
            json=body,
            headers={"Authorization": f"Bearer {self.token()}"},
            verify=self.ca_file,
            timeout=30,
        )
        answer = response.json() if response.content else None
        return response.status_code, answer, response.headers

    def get_url(self, url: str) -> Any:
        response = requests.get(
            url,
            headers={"Authorization": f"Bearer {self.token()}"},
            verify=self.ca_file,
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def advance(self, seconds: float) -> None:
        """Move the simulated clock on; due events (operation ends, replicas) run."""
        self.admin.advance(seconds)

    def seed(self, resources: list[dict]) -> None:
        self.admin.seed(resources)

    def add_subscription(self, subscription_id: str) -> None:
        """A subscription (the test principal its Owner) holding resource group `foreign`."""
        sub = f"/subscriptions/{subscription_id}"
        group = {"name": "foreign", "type": "Microsoft.Resources/resourceGroups",
                 "location": "eastus", "properties": {"provisioningState": "Succeeded"}}  # fmt: skip
        self.seed(
            [
                {"id": sub, "body": {"displayName": "other"}},
                {"id": f"{sub}/resourceGroups/foreign", "body": group},
            ]
        )

    def contributor_on(self, scope: str) -> tuple[str, str]:
        """A new service principal holding Contributor at `scope` only: (client id, secret)."""
        secret = uuid.uuid4().hex
        record = self.admin.add_principal(secret=secret)
        name = str(uuid.uuid4())
        assignment = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
        body = owner_assignment(assignment, name, scope, record["object_id"])
        body["properties"]["roleDefinitionId"] = (
            f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR_ROLE_ID}"
        )
        self.seed([{"id": assignment, "body": body}])
        return record["client_id"], secret

    def group_path(self, rg: str, subscription_id: str | None = None) -> str:
        return f"/subscriptions/{subscription_id or self.subscription_id}/resourceGroups/{rg}"

    def gallery_path(self, rg: str, name: str) -> str:
        return f"{self.group_path(rg)}/providers/Microsoft.Compute/galleries/{name}"

    def wait_done(self, headers: Any, api_version: str) -> None:
        self.advance(3600)
        status_url = headers["Azure-AsyncOperation"]
        assert self.get_url(status_url)["status"] == "Succeeded"

    def foreign_generalized_image(self, subscription_id: str, rg: str, name: str) -> str:
        """A generalized Ubuntu 24.04 VM captured as a managed image in another subscription."""
        group = self.group_path(rg, subscription_id)
        vm_path = f"{group}/providers/Microsoft.Compute/virtualMachines/{name}vm"
        status, _, headers = self.call("PUT", vm_path, vm_body(), api_version=COMPUTE_API)
        assert status == 201
        self.wait_done(headers, COMPUTE_API)
        _, _, headers = self.call("POST", vm_path + "/deallocate", api_version=COMPUTE_API)
        self.wait_done(headers, COMPUTE_API)
        status, _, _ = self.call("POST", vm_path + "/generalize", api_version=COMPUTE_API)
        assert status == 200
        image_path = f"{group}/providers/Microsoft.Compute/images/{name}"
        body = {"location": "eastus", "properties": {"sourceVirtualMachine": {"id": vm_path}}}
        status, _, headers = self.call("PUT", image_path, body, api_version=COMPUTE_API)
        assert status == 201
        self.wait_done(headers, COMPUTE_API)
        return image_path


def vm_body(reference: dict | None = None, location: str = "eastus", **properties: Any) -> dict:
    props = {
        "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
        "storageProfile": {
            "imageReference": reference or UBUNTU,
            "osDisk": {
                "createOption": "FromImage",
                "managedDisk": {"storageAccountType": "Premium_LRS"},
            },
        },
        "osProfile": {
            "computerName": "builder",
            "adminUsername": "azureuser",
            "adminPassword": "P@ssw0rd1234!",
        },
        "networkProfile": {"networkInterfaces": []},
    }
    props.update(properties)
    return {"location": location, "properties": props}


def generalized_vm(compute: Any, rg: str, arm: Arm, name: str, generalize: bool = True) -> Any:
    """An Ubuntu 24.04 VM, deallocated and generalized unless asked otherwise."""
    poller = compute.virtual_machines.begin_create_or_update(rg, name, vm_body())
    arm.advance(600)
    vm = poller.result()
    if generalize:
        deallocate = compute.virtual_machines.begin_deallocate(rg, name)
        arm.advance(600)
        deallocate.result()
        compute.virtual_machines.generalize(rg, name)
    return vm


def managed_image(compute: Any, rg: str, arm: Arm, name: str, vm_id: str) -> Any:
    """A managed image captured from a generalized VM."""
    body = {"location": "eastus", "properties": {"sourceVirtualMachine": {"id": vm_id}}}
    poller = compute.images.begin_create_or_update(rg, name, body)
    arm.advance(600)
    return poller.result()


def seeded_image(image_id: str, location: str = "eastus") -> dict:
    """The stored body of a generalized Linux V2 managed image, for `/_sim/seed`."""
    return {
        "id": image_id,
        "name": image_id.rsplit("/", 1)[1],
        "type": "Microsoft.Compute/images",
        "location": location,
        "tags": {},
        "properties": {
            "hyperVGeneration": "V2",
            "provisioningState": "Succeeded",
            "storageProfile": {
                "osDisk": {"osType": "Linux", "osState": "Generalized", "diskSizeGB": 30},
                "dataDisks": [],
            },
        },
    }
