# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec of the image_template module (its documentation mirrors it option for option)."""

from __future__ import annotations

from typing import Any

from ansible_collections.goldenimage.azure.plugins.module_utils._template_model import (
    CUSTOMIZER_TYPES,
    DISTRIBUTOR_TYPES,
    ON_BUILD_ERROR,
    REPLICATION_MODES,
    SOURCE_TYPES,
    STORAGE_ACCOUNT_TYPES,
    VALIDATOR_TYPES,
    VERSIONING_SCHEMES,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._template_plan import REPLACE_MODES

Spec = dict[str, dict[str, Any]]


def _script_step_options(types: dict[str, str]) -> Spec:
    """Options of Shell / PowerShell / File steps, shared by customizers and validators."""
    return {
        "type": {"type": "str", "required": True, "choices": list(types)},
        "name": {"type": "str"},
        "script_uri": {"type": "str"},
        "inline": {"type": "list", "elements": "str"},
        "sha256_checksum": {"type": "str"},
        "run_elevated": {"type": "bool"},
        "run_as_system": {"type": "bool"},
        "valid_exit_codes": {"type": "list", "elements": "int"},
        "source_uri": {"type": "str"},
        "destination": {"type": "str"},
    }


SOURCE_SPEC: Spec = {
    "type": {"type": "str", "required": True, "choices": list(SOURCE_TYPES)},
    "publisher": {"type": "str"},
    "offer": {"type": "str"},
    "sku": {"type": "str"},
    "version": {"type": "str", "default": "latest"},
    "plan_info": {
        "type": "dict",
        "options": {
            "plan_name": {"type": "str", "required": True},
            "plan_product": {"type": "str", "required": True},
            "plan_publisher": {"type": "str", "required": True},
        },
    },
    "image_id": {"type": "str"},
    "image_version_id": {"type": "str"},
}

CUSTOMIZER_SPEC: Spec = {
    **_script_step_options(CUSTOMIZER_TYPES),
    "restart_command": {"type": "str"},
    "restart_check_command": {"type": "str"},
    "restart_timeout": {"type": "str"},
    "search_criteria": {"type": "str"},
    "filters": {"type": "list", "elements": "str"},
    "update_limit": {"type": "int"},
}

VALIDATE_SPEC: Spec = {
    "continue_distribute_on_failure": {"type": "bool"},
    "source_validation_only": {"type": "bool"},
    "in_vm_validations": {
        "type": "list",
        "elements": "dict",
        "options": _script_step_options(VALIDATOR_TYPES),
    },
}

OPTIMIZE_SPEC: Spec = {
    "vm_boot": {"type": "bool"},
    "workload": {
        "type": "dict",
        "options": {
            "enabled": {"type": "bool"},
            "script_uri": {"type": "str"},
            "sha256_checksum": {"type": "str"},
        },
    },
}

ERROR_HANDLING_SPEC: Spec = {
    "on_customizer_error": {"type": "str", "choices": list(ON_BUILD_ERROR)},
    "on_validation_error": {"type": "str", "choices": list(ON_BUILD_ERROR)},
}

DISTRIBUTOR_SPEC: Spec = {
    "type": {"type": "str", "required": True, "choices": list(DISTRIBUTOR_TYPES)},
    "run_output_name": {"type": "str", "required": True},
    "artifact_tags": {"type": "dict"},
    "image_id": {"type": "str"},
    "location": {"type": "str"},
    "gallery_image_id": {"type": "str"},
    "target_regions": {
        "type": "list",
        "elements": "dict",
        "options": {
            "name": {"type": "str", "required": True},
            "replica_count": {"type": "int"},
            "storage_account_type": {"type": "str", "choices": list(STORAGE_ACCOUNT_TYPES)},
        },
    },
    "replication_regions": {"type": "list", "elements": "str"},
    "storage_account_type": {"type": "str", "choices": list(STORAGE_ACCOUNT_TYPES)},
    "exclude_from_latest": {"type": "bool"},
    "versioning": {
        "type": "dict",
        "options": {
            "scheme": {"type": "str", "required": True, "choices": list(VERSIONING_SCHEMES)},
            "major": {"type": "int"},
        },
    },
    "replication_mode": {"type": "str", "choices": list(REPLICATION_MODES)},
    "uri": {"type": "str"},
}

VM_PROFILE_SPEC: Spec = {
    "vm_size": {"type": "str"},
    "os_disk_size_gb": {"type": "int"},
    "user_assigned_identities": {"type": "list", "elements": "str"},
    "vnet_config": {
        "type": "dict",
        "options": {
            "subnet_id": {"type": "str"},
            "container_instance_subnet_id": {"type": "str"},
            "proxy_vm_size": {"type": "str"},
        },
    },
}

# The options that describe the definition; the raw ``template`` option replaces all of them.
DEFINITION_OPTIONS = (
    "source",
    "customize",
    "validate",
    "optimize",
    "error_handling",
    "distribute",
    "vm_profile",
    "build_timeout",
    "staging_resource_group",
    "auto_run",
    "managed_resource_tags",
    "additional_data_disks",
)

TEMPLATE_ARGUMENT_SPEC: Spec = {
    "name": {"type": "str", "required": True},
    "resource_group": {"type": "str", "required": True},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "location": {"type": "str"},
    "identity": {"type": "str"},
    "source": {"type": "dict", "options": SOURCE_SPEC},
    "customize": {"type": "list", "elements": "dict", "options": CUSTOMIZER_SPEC},
    "validate": {"type": "dict", "options": VALIDATE_SPEC},
    "optimize": {"type": "dict", "options": OPTIMIZE_SPEC},
    "error_handling": {"type": "dict", "options": ERROR_HANDLING_SPEC},
    "distribute": {"type": "list", "elements": "dict", "options": DISTRIBUTOR_SPEC},
    "vm_profile": {"type": "dict", "options": VM_PROFILE_SPEC},
    "build_timeout": {"type": "int"},
    "staging_resource_group": {"type": "str"},
    "auto_run": {"type": "bool"},
    "managed_resource_tags": {"type": "dict"},
    "additional_data_disks": {
        "type": "list",
        "elements": "dict",
        "options": {"size_gb": {"type": "int", "required": True}},
    },
    "template": {"type": "dict"},
    "replace": {"type": "str", "default": "auto", "choices": list(REPLACE_MODES)},
    "cancel_running_build": {"type": "bool", "default": False},
}

TEMPLATE_MUTUALLY_EXCLUSIVE = [["template", option] for option in DEFINITION_OPTIONS]
TEMPLATE_REQUIRED_IF = [
    ["state", "present", ["identity"]],
    ["state", "present", ["source", "template"], True],
    ["state", "present", ["distribute", "template"], True],
]
