"""Role-based access checks as ARM makes them, with Azure's built-in role definitions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from azsim.core import ids
from azsim.core.errors import ArmError

if TYPE_CHECKING:
    from azsim.core.sim import Sim

ROLE_ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments"
ROLE_DEFINITION_TYPE = "Microsoft.Authorization/roleDefinitions"
REFRESH_HINT = "If access was recently granted, please refresh your credentials."

_READ_SUPPORT = ["Microsoft.Authorization/*/read", "Microsoft.Support/*"]


@dataclass(frozen=True)
class BuiltInRole:
    id: str
    name: str
    description: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()


BUILT_IN_ROLES: tuple[BuiltInRole, ...] = (
    BuiltInRole(
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        "Owner",
        "Grants full access to manage all resources, including the ability to assign roles in "
        "Azure RBAC.",
        ("*",),
    ),
    BuiltInRole(
        "b24988ac-6180-42a0-ab88-20f7382dd24c",
        "Contributor",
        "Grants full access to manage all resources, but does not allow you to assign roles in "
        "Azure RBAC.",
        ("*",),
        (
            "Microsoft.Authorization/*/Delete",
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action",
            "Microsoft.Blueprint/blueprintAssignments/write",
            "Microsoft.Blueprint/blueprintAssignments/delete",
            "Microsoft.Compute/galleries/share/action",
            "Microsoft.Purview/consents/write",
            "Microsoft.Purview/consents/delete",
            "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
            "Microsoft.Subscription/cancel/action",
            "Microsoft.Subscription/enable/action",
        ),
    ),
    BuiltInRole(
        "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        "Reader",
        "View all resources, but does not allow you to make any changes.",
        ("*/read",),
    ),
    BuiltInRole(
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        "User Access Administrator",
        "Lets you manage user access to Azure resources.",
        ("*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"),
    ),
    BuiltInRole(
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
        "Role Based Access Control Administrator",
        "Manage access to Azure resources by assigning roles using Azure RBAC.",
        (
            "Microsoft.Authorization/roleAssignments/write",
            "Microsoft.Authorization/roleAssignments/delete",
            "*/read",
            "Microsoft.Support/*",
        ),
    ),
    BuiltInRole(
        "f1a07417-d97a-45cb-824c-7a7467783830",
        "Managed Identity Operator",
        "Read and Assign User Assigned Identity",
        (
            "Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
            "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
            "Microsoft.Authorization/*/read",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Support/*",
        ),
    ),
    BuiltInRole(
        "e40ec5ca-96e0-45a2-b4ff-59039f2c2b59",
        "Managed Identity Contributor",
        "Create, Read, Update, and Delete User Assigned Identity",
        (
            "Microsoft.ManagedIdentity/userAssignedIdentities/read",
            "Microsoft.ManagedIdentity/userAssignedIdentities/write",
            "Microsoft.ManagedIdentity/userAssignedIdentities/delete",
            "Microsoft.Authorization/*/read",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Support/*",
        ),
    ),
    BuiltInRole(
        "9980e02c-c2be-4d73-94e8-173b1dc7cf3c",
        "Virtual Machine Contributor",
        "Create and manage virtual machines, manage disks, install and run software, reset "
        "password of the root user of the virtual machine using VM extensions, and connect to "
        "Linux virtual machine using SSH. This role does not grant you management access to the "
        "virtual network or storage account the virtual machines are connected to nor access to "
        "the virtual machines' data.",
        (
            "Microsoft.Authorization/*/read",
            "Microsoft.Compute/availabilitySets/*",
            "Microsoft.Compute/locations/*",
            "Microsoft.Compute/virtualMachines/*",
            "Microsoft.Compute/virtualMachineScaleSets/*",
            "Microsoft.Compute/disks/write",
            "Microsoft.Compute/disks/read",
            "Microsoft.Compute/disks/delete",
            "Microsoft.Network/networkInterfaces/*",
            "Microsoft.Network/virtualNetworks/read",
            "Microsoft.Network/virtualNetworks/subnets/join/action",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Storage/storageAccounts/listKeys/action",
            "Microsoft.Storage/storageAccounts/read",
            "Microsoft.Support/*",
        ),
    ),
    BuiltInRole(
        "1ef6a3be-d0ac-425d-8c01-acb62866290b",
        "Compute Gallery Sharing Admin",
        "This role allows user to share gallery to another subscription/tenant or share it to "
        "the public.",
        (
            "Microsoft.Compute/galleries/share/action",
            "Microsoft.Compute/galleries/read",
            "Microsoft.Compute/galleries/images/read",
            "Microsoft.Compute/galleries/images/versions/read",
            *_READ_SUPPORT,
        ),
    ),
    BuiltInRole(
        "17d1049b-9a84-46fb-8f53-869881c3d3ab",
        "Storage Account Contributor",
        "Permits management of storage accounts. Provides access to the account key, which can "
        "be used to access data via Shared Key authorization.",
        (
            "Microsoft.Authorization/*/read",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.Insights/diagnosticSettings/*",
            "Microsoft.Network/virtualNetworks/subnets/joinViaServiceEndpoint/action",
            "Microsoft.ResourceHealth/availabilityStatuses/read",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Storage/storageAccounts/*",
            "Microsoft.Support/*",
        ),
    ),
    BuiltInRole(
        "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
        "Storage Blob Data Reader",
        "Allows for read access to Azure Storage blob containers and data",
        (
            "Microsoft.Storage/storageAccounts/blobServices/containers/read",
            "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
        ),
        (),
        ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",),
    ),
    BuiltInRole(
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        "Storage Blob Data Contributor",
        "Allows for read, write and delete access to Azure Storage blob containers and data",
        (
            "Microsoft.Storage/storageAccounts/blobServices/containers/delete",
            "Microsoft.Storage/storageAccounts/blobServices/containers/read",
            "Microsoft.Storage/storageAccounts/blobServices/containers/write",
            "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
        ),
        (),
        (
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
        ),
    ),
    BuiltInRole(
        "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
        "Storage Blob Data Owner",
        "Allows for full access to Azure Storage blob containers and data, including assigning "
        "POSIX access control.",
        (
            "Microsoft.Storage/storageAccounts/blobServices/containers/*",
            "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
        ),
        (),
        ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*",),
    ),
)

BUILT_IN_BY_ID: dict[str, BuiltInRole] = {r.id: r for r in BUILT_IN_ROLES}
OWNER_ROLE_ID = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"


@lru_cache(maxsize=1024)
def _pattern(action_pattern: str) -> re.Pattern[str]:
    return re.compile(re.escape(action_pattern).replace(r"\*", ".*") + "$", re.IGNORECASE)


def action_matches(pattern: str, action: str) -> bool:
    return _pattern(pattern).match(action) is not None


def permits(permissions: list[dict[str, Any]], action: str) -> bool:
    """True when one permission block lists the action and does not exclude it."""
    for block in permissions:
        allowed = any(action_matches(p, action) for p in block.get("actions", []))
        if allowed and not any(action_matches(p, action) for p in block.get("notActions", [])):
            return True
    return False


class Authz:
    def __init__(self, sim: Sim) -> None:
        self._sim = sim

    def role_permissions(self, role_definition_id: str) -> list[dict[str, Any]]:
        guid = role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()
        built_in = BUILT_IN_BY_ID.get(guid)
        if built_in:
            return [{"actions": list(built_in.actions), "notActions": list(built_in.not_actions)}]
        for definition in self._sim.store.by_type(ROLE_DEFINITION_TYPE):
            if definition.get("name", "").lower() == guid:
                return definition.get("properties", {}).get("permissions", [])
        return []

    def assignments_for(self, principal_object_id: str, scope: str) -> list[dict[str, Any]]:
        """Role assignments of the principal at `scope` or above it."""
        oid = principal_object_id.lower()
        found = []
        for assignment in self._sim.store.by_type(ROLE_ASSIGNMENT_TYPE):
            props = assignment.get("properties", {})
            if props.get("principalId", "").lower() != oid:
                continue
            if ids.is_under(scope, props.get("scope", "")):
                found.append(assignment)
        return found

    def allowed(self, principal_object_id: str, action: str, scope: str) -> bool:
        for assignment in self.assignments_for(principal_object_id, scope):
            role = assignment["properties"].get("roleDefinitionId", "")
            if permits(self.role_permissions(role), action):
                return True
        return False

    def check(
        self,
        principal_object_id: str,
        action: str,
        scope: str,
        *,
        linked: bool = False,
        primary_action: str | None = None,
        primary_scope: str | None = None,
    ) -> None:
        """Raise ARM's 403 unless an assignment at or above `scope` grants `action`.

        `linked=True` is for checks on a resource referenced by the request (a source image,
        an identity to assign): the error is then `LinkedAuthorizationFailed`.
        """
        if self.allowed(principal_object_id, action, scope):
            return
        record = self._sim.principals.by_object_id(principal_object_id)
        client_id = record.client_id if record else principal_object_id
        if linked:
            raise ArmError(
                403,
                "LinkedAuthorizationFailed",
                f"The client '{client_id}' with object id '{principal_object_id}' has permission "
                f"to perform action '{primary_action or action}' on scope "
                f"'{primary_scope or scope}'; however, it does not have permission to perform "
                f"action(s) '{action}' on the linked scope(s) '{scope}' (respectively) or the "
                "linked scope(s) are invalid.",
            )
        raise ArmError(
            403,
            "AuthorizationFailed",
            f"The client '{client_id}' with object id '{principal_object_id}' does not have "
            f"authorization to perform action '{action}' over scope '{scope}' or the scope is "
            f"invalid. {REFRESH_HINT}",
        )
