"""Bad input: every case really runs its module against the stand-in, fails with a message
naming the option, and sends no write request (no PUT / PATCH / DELETE / POST to ARM).

Arguments may hold placeholders, replaced per run: @rg (the resource group), @sub (the
subscription id), and @<name> for the ids `fixtures.seed_sources` returns.
"""

from __future__ import annotations

from typing import Any

import pytest
from fixtures import seed_sources
from harness import Sim

GAL = {"gallery_name": "relgal", "resource_group": "@rg"}
VER = {**GAL, "gallery_image_name": "linux"}
PLATFORM = {
    "type": "platform_image",
    "publisher": "Canonical",
    "offer": "ubuntu-24_04-lts",
    "sku": "server",
}
TPL = {
    "name": "reltpl-bad",
    "resource_group": "@rg",
    "identity": "@identity",
    "source": PLATFORM,
    "customize": [{"type": "shell", "name": "patch", "inline": ["true"]}],
    "distribute": [{"type": "vhd", "run_output_name": "vhd"}],
}
IMG = {
    "name": "relimg",
    "gallery_name": "relgal",
    "resource_group": "@rg",
    "os_type": "Linux",
    "os_state": "Generalized",
    "publisher": "contoso",
    "offer": "o",
    "sku": "s",
}
MI = {"name": "relmi", "resource_group": "@rg", "location": "eastus"}
RA = {
    "scope": "/subscriptions/@sub/resourceGroups/@rg",
    "principal_id": "7c4b2f0e-4a52-4b7e-9d5e-3f1b8f6a0c11",
    "role_definition": "Reader",
}


# Input the collection does not yet refuse before writing (reported; see docs/reliability.md).
# A case named here is a strict xfail: the day the module refuses it up front, the entry goes.
KNOWN_GAPS: dict[str, str] = {}
DROP = object()
BUILD = {"name": "relbuild", "resource_group": "@rg"}


def case(module: str, case_id: str, needle: str, base: dict[str, Any], **changes: Any) -> Any:
    args = {**base, **changes}
    for key in [key for key, value in changes.items() if value is DROP]:
        del args[key]
    case_name = f"{module}-{case_id}"
    marks = []
    if case_name in KNOWN_GAPS:
        # Strict: the day the module refuses this input up front, the mark must go.
        marks.append(pytest.mark.xfail(reason=KNOWN_GAPS[case_name], strict=True))
    return pytest.param(module, args, needle, id=case_name, marks=marks)


CASES = [
    # --- gallery ---------------------------------------------------------------------------
    case("gallery", "name-characters", "name", {"resource_group": "@rg"}, name="bad name!"),
    case("gallery", "name-too-long", "name", {"resource_group": "@rg"}, name="g" * 81),
    case(
        "gallery",
        "unknown-region",
        "atlantis",
        {"name": "relnew", "resource_group": "@rg"},
        location="atlantis",
    ),
    case(
        "gallery",
        "sharing-misspelled-key",
        "permision",
        {"name": "relnew", "resource_group": "@rg", "location": "eastus"},
        sharing={"permission": "Private", "permision": "Groups"},
    ),
    case(
        "gallery",
        "sharing-bad-permission",
        "permission",
        {"name": "relnew", "resource_group": "@rg", "location": "eastus"},
        sharing={"permission": "Public"},
    ),
    case(
        "gallery",
        "soft-delete-retention-out-of-range",
        "retention_days",
        {"name": "relnew", "resource_group": "@rg", "location": "eastus"},
        soft_delete={"enabled": True, "retention_days": 0},
    ),
    case(
        "gallery",
        "community-missing-eula",
        "eula",
        {"name": "relnew", "resource_group": "@rg", "location": "eastus"},
        sharing={
            "permission": "Community",
            "community": {
                "publisher_uri": "https://contoso.example",
                "publisher_contact": "a@b.example",
                "public_name_prefix": "contoso",
            },
        },
    ),
    case(
        "gallery",
        "state-choice",
        "state",
        {"name": "relnew", "resource_group": "@rg"},
        state="gone",
    ),
    case(
        "gallery",
        "tags-not-a-dict",
        "tags",
        {"name": "relnew", "resource_group": "@rg", "location": "eastus"},
        tags="owner",
    ),
    case(
        "gallery",
        "wait-timeout-negative",
        "wait_timeout",
        {"name": "relnew", "resource_group": "@rg", "location": "eastus"},
        wait_timeout=-5,
    ),
    case(
        "gallery",
        "auth-source-choice",
        "auth_source",
        {"name": "relnew", "resource_group": "@rg"},
        auth_source="keyvault",
    ),
    case(
        "gallery",
        "unknown-cloud",
        "cloud_environment",
        {"name": "relnew", "resource_group": "@rg"},
        cloud_environment="MarsCloud",
    ),
    case(
        "gallery",
        "misspelled-top-level-option",
        "locaton",
        {"name": "relnew", "resource_group": "@rg"},
        locaton="eastus",
    ),
    # --- gallery_image ---------------------------------------------------------------------
    case("gallery_image", "name-characters", "name", IMG, name="linux/x"),
    case("gallery_image", "gallery-name-characters", "gallery_name", IMG, gallery_name="gal-ery!"),
    case("gallery_image", "missing-publisher", "publisher", IMG, publisher=DROP),
    case("gallery_image", "os-type-choice", "os_type", IMG, os_type="Solaris"),
    case(
        "gallery_image",
        "features-misspelled-key",
        "nmae",
        IMG,
        features=[{"name": "IsAcceleratedNetworkSupported", "value": "true", "nmae": "x"}],
    ),
    case(
        "gallery_image",
        "vcpus-min-above-max",
        "recommended_vcpus",
        IMG,
        recommended_vcpus={"min": 8, "max": 2},
    ),
    case("gallery_image", "vcpus-misspelled-key", "minimum", IMG, recommended_vcpus={"minimum": 2}),
    case(
        "gallery_image",
        "purchase-plan-missing-product",
        "product",
        IMG,
        purchase_plan={"name": "p", "publisher": "contoso"},
    ),
    case(
        "gallery_image",
        "end-of-life-not-a-date",
        "end_of_life_date",
        IMG,
        end_of_life_date="tomorrow",
    ),
    case(
        "gallery_image",
        "trusted-launch-on-v1",
        "security_type",
        IMG,
        hyper_v_generation="V1",
        security_type="TrustedLaunch",
    ),
    case("gallery_image", "architecture-choice", "architecture", IMG, architecture="sparc"),
    case("gallery_image", "unknown-region", "atlantis", IMG, location="atlantis"),
    # --- gallery_image_version -------------------------------------------------------------
    case(
        "gallery_image_version", "two-part-version", "name", VER, name="1.0", managed_image="@image"
    ),
    case(
        "gallery_image_version",
        "version-above-32-bit",
        "name",
        VER,
        name="1.0.4294967296",
        managed_image="@image",
    ),
    case(
        "gallery_image_version",
        "negative-version",
        "name",
        VER,
        name="-1.0.0",
        managed_image="@image",
    ),
    case(
        "gallery_image_version",
        "letters-in-version",
        "name",
        VER,
        name="1.a.3",
        managed_image="@image",
    ),
    case(
        "gallery_image_version",
        "two-sources",
        "managed_image",
        VER,
        name="1.0.0",
        managed_image="@image",
        virtual_machine="vm1",
    ),
    case("gallery_image_version", "no-source", "source", VER, name="1.0.0"),
    case(
        "gallery_image_version",
        "source-of-wrong-kind",
        "managed_image",
        VER,
        name="1.0.0",
        managed_image="@disk",
    ),
    case(
        "gallery_image_version",
        "unknown-target-region",
        "atlantis",
        VER,
        name="1.0.0",
        managed_image="@image",
        target_regions=["eastus", "atlantis"],
    ),
    case(
        "gallery_image_version",
        "unknown-target-region-dictionary",
        "atlantis",
        VER,
        name="1.0.0",
        managed_image="@image",
        target_regions=[{"name": "Atlantis", "replica_count": 2}],
    ),
    case(
        "gallery_image_version",
        "replica-count-zero",
        "replica_count",
        VER,
        name="1.0.0",
        managed_image="@image",
        replica_count=0,
    ),
    case(
        "gallery_image_version",
        "duplicate-data-disk-lun",
        "lun",
        VER,
        name="1.0.0",
        os_disk={"disk": "@disk"},
        data_disks=[{"lun": 1, "disk": "@disk"}, {"lun": 1, "disk": "@disk"}],
    ),
    case(
        "gallery_image_version",
        "data-disk-misspelled-key",
        "lunn",
        VER,
        name="1.0.0",
        os_disk={"disk": "@disk"},
        data_disks=[{"lun": 1, "lunn": 2, "disk": "@disk"}],
    ),
    case(
        "gallery_image_version",
        "os-disk-misspelled-key",
        "dsk",
        VER,
        name="1.0.0",
        os_disk={"dsk": "@disk"},
    ),
    case(
        "gallery_image_version",
        "end-of-life-not-a-date",
        "end_of_life_date",
        VER,
        name="1.0.0",
        managed_image="@image",
        end_of_life_date="31/12/2030",
    ),
    case(
        "gallery_image_version",
        "storage-type-choice",
        "storage_account_type",
        VER,
        name="1.0.0",
        managed_image="@image",
        storage_account_type="Ultra_LRS",
    ),
    case(
        "gallery_image_version",
        "wait-for-replication-choice",
        "wait_for_replication",
        VER,
        name="1.0.0",
        managed_image="@image",
        wait_for_replication="some",
    ),
    case(
        "gallery_image_version",
        "missing-definition-name",
        "gallery_image_name",
        VER,
        name="1.0.0",
        managed_image="@image",
        gallery_image_name=DROP,
    ),
    # --- managed_image ---------------------------------------------------------------------
    case(
        "managed_image",
        "name-characters",
        "name",
        MI,
        name="bad name?",
        os_disk={"disk": "@disk", "os_type": "Linux"},
    ),
    case(
        "managed_image",
        "vm-and-os-disk",
        "virtual_machine",
        MI,
        virtual_machine="vm1",
        os_disk={"disk": "@disk", "os_type": "Linux"},
    ),
    case(
        "managed_image",
        "duplicate-data-disk-lun",
        "lun",
        MI,
        os_disk={"disk": "@disk", "os_type": "Linux"},
        data_disks=[{"lun": 0, "disk": "@disk"}, {"lun": 0, "disk": "@disk"}],
    ),
    case(
        "managed_image",
        "os-disk-misspelled-key",
        "blob_url",
        MI,
        os_disk={"blob_url": "https://a.blob.core.windows.net/v/d.vhd", "os_type": "Linux"},
    ),
    case(
        "managed_image",
        "generation-choice",
        "hyper_v_generation",
        MI,
        os_disk={"disk": "@disk", "os_type": "Linux"},
        hyper_v_generation="V3",
    ),
    case("managed_image", "no-source", "source", MI),
    # --- image_template --------------------------------------------------------------------
    case("image_template", "name-characters", "name", TPL, name="tpl/x"),
    case(
        "image_template",
        "checksum-not-sha256",
        "sha256_checksum",
        TPL,
        customize=[
            {
                "type": "shell",
                "name": "s",
                "script_uri": "https://example.invalid/s.sh",
                "sha256_checksum": "abc",
            }
        ],
    ),
    case(
        "image_template",
        "duplicate-customizer-names",
        "step",
        TPL,
        customize=[
            {"type": "shell", "name": "step", "inline": ["true"]},
            {"type": "shell", "name": "step", "inline": ["false"]},
        ],
    ),
    case(
        "image_template",
        "duplicate-run-output-names",
        "out",
        TPL,
        distribute=[
            {"type": "vhd", "run_output_name": "out"},
            {"type": "vhd", "run_output_name": "out"},
        ],
    ),
    case(
        "image_template",
        "run-output-name-with-space",
        "run_output_name",
        TPL,
        distribute=[{"type": "vhd", "run_output_name": "has space"}],
    ),
    case(
        "image_template",
        "platform-source-missing-sku",
        "sku",
        TPL,
        source={k: v for k, v in PLATFORM.items() if k != "sku"},
    ),
    case(
        "image_template",
        "managed-source-missing-image-id",
        "image_id",
        TPL,
        source={"type": "managed_image"},
    ),
    case(
        "image_template",
        "version-source-of-wrong-kind",
        "image_version_id",
        TPL,
        source={"type": "shared_image_version", "image_version_id": "@image"},
    ),
    case("image_template", "build-timeout-above-960", "build_timeout", TPL, build_timeout=961),
    case("image_template", "build-timeout-negative", "build_timeout", TPL, build_timeout=-1),
    case("image_template", "two-identities", "identity", TPL, identity="@identity,@identity"),
    case(
        "image_template",
        "raw-template-and-source",
        "template",
        TPL,
        template={"source": {"type": "PlatformImage"}},
    ),
    case("image_template", "empty-distribute", "distribute", TPL, distribute=[]),
    case(
        "image_template",
        "customizer-misspelled-key",
        "inlin",
        TPL,
        customize=[{"type": "shell", "name": "s", "inlin": ["true"]}],
    ),
    case(
        "image_template",
        "shared-image-missing-gallery-id",
        "gallery_image_id",
        TPL,
        distribute=[{"type": "shared_image", "run_output_name": "sig"}],
    ),
    case(
        "image_template",
        "managed-image-missing-location",
        "location",
        TPL,
        distribute=[
            {
                "type": "managed_image",
                "run_output_name": "mi",
                "image_id": "/subscriptions/@sub/resourceGroups/@rg/providers/"
                "Microsoft.Compute/images/out",
            }
        ],
    ),
    case(
        "image_template",
        "os-disk-size-negative",
        "os_disk_size_gb",
        TPL,
        vm_profile={"os_disk_size_gb": -30},
    ),
    case(
        "image_template",
        "file-customizer-missing-destination",
        "destination",
        TPL,
        customize=[{"type": "file", "name": "f", "source_uri": "https://example.invalid/f"}],
    ),
    case(
        "image_template",
        "unknown-replication-region",
        "atlantis",
        TPL,
        distribute=[
            {
                "type": "shared_image",
                "run_output_name": "sig",
                "gallery_image_id": "@definition",
                "target_regions": [{"name": "atlantis"}],
            }
        ],
    ),
    case(
        "image_template",
        "script-uri-not-http",
        "script_uri",
        TPL,
        customize=[{"type": "shell", "name": "s", "script_uri": "ftp://example.invalid/s.sh"}],
    ),
    case(
        "image_template",
        "file-source-uri-not-http",
        "source_uri",
        TPL,
        customize=[
            {"type": "file", "name": "f", "source_uri": "file:///etc/passwd", "destination": "/x"}
        ],
    ),
    case(
        "image_template",
        "validator-script-uri-not-http",
        "script_uri",
        TPL,
        validate={"in_vm_validations": [{"type": "shell", "name": "v", "script_uri": "s.sh"}]},
    ),
    case(
        "image_template",
        "version-source-two-part-version",
        "image_version_id",
        TPL,
        source={"type": "shared_image_version", "image_version_id": "@definition/versions/1.0"},
    ),
    case("image_template", "identity-not-an-identity", "identity", TPL, identity="@image"),
    case("image_template", "identity-list-of-two", "identity", TPL, identity=["@identity"] * 2),
    case("image_template", "unknown-location", "atlantis", TPL, location="atlantis"),
    case(
        "image_template",
        "unknown-managed-image-location",
        "atlantis",
        TPL,
        distribute=[
            {
                "type": "managed_image",
                "run_output_name": "mi",
                "image_id": "/subscriptions/@sub/resourceGroups/@rg/providers/"
                "Microsoft.Compute/images/out",
                "location": "Atlantis",
            }
        ],
    ),
    case(
        "image_template",
        "unknown-legacy-replication-region",
        "eastuss",
        TPL,
        distribute=[
            {
                "type": "shared_image",
                "run_output_name": "sig",
                "gallery_image_id": "@definition",
                "replication_regions": ["eastus", "eastuss"],
            }
        ],
    ),
    case("image_template", "replace-choice", "replace", TPL, replace="always"),
    case(
        "image_template",
        "vm-profile-misspelled-key",
        "vm_sise",
        TPL,
        vm_profile={"vm_sise": "Standard_D2s_v3"},
    ),
    # --- image_build -----------------------------------------------------------------------
    case(
        "image_build",
        "wait-timeout-negative",
        "wait_timeout",
        BUILD,
        wait_timeout=-1,
    ),
    case("image_build", "resume-missing-elapsed", "elapsed", BUILD, resume={"follow": True}),
    case(
        "image_build",
        "resume-misspelled-key",
        "elapsd",
        BUILD,
        resume={"elapsed": 3.0, "elapsd": 3.0},
    ),
    case("image_build", "state-choice", "state", BUILD, state="done"),
    # --- identity modules ------------------------------------------------------------------
    case(
        "user_assigned_identity",
        "name-characters",
        "name",
        {"resource_group": "@rg", "location": "eastus"},
        name="bad name!",
    ),
    case(
        "user_assigned_identity",
        "unknown-region",
        "atlantis",
        {"name": "relid", "resource_group": "@rg"},
        location="atlantis",
    ),
    case(
        "user_assigned_identity",
        "misspelled-region",
        "East USS",
        {"name": "relid", "resource_group": "@rg"},
        location="East USS",
    ),
    case("role_assignment", "principal-not-a-guid", "principal_id", RA, principal_id="alice"),
    case("role_assignment", "malformed-scope", "scope", RA, scope="subscriptions/x"),
    case("role_assignment", "principal-type-choice", "principal_type", RA, principal_type="Bot"),
    case(
        "role_definition",
        "no-actions",
        "actions",
        {"name": "relrole", "scope": "/subscriptions/@sub"},
        actions=[],
    ),
]


def substitute(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        for name in sorted(names, key=len, reverse=True):
            value = value.replace(f"@{name}", names[name])
        return value
    if isinstance(value, list):
        return [substitute(item, names) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, names) for key, item in value.items()}
    return value


def settled_state(sim: Sim) -> set[str]:
    """Stored ids. Nothing here changes on its own: no case starts a build (a refused one would
    leave run outputs coming and going), so the whole state must stay as it was."""
    return set(sim.state())


@pytest.fixture(scope="module")
def names(sim: Sim, group: str) -> dict[str, str]:
    names = {"rg": group, "sub": sim.subscription_id, **seed_sources(sim, group)}
    # A valid template for the image_build cases, so each fails on its own option.
    build = sim.run("image_template", substitute({**TPL, "name": BUILD["name"]}, names))
    assert not build.failed, build.describe()
    return names


@pytest.mark.parametrize(("module", "args", "needle"), CASES)
def test_refused(
    sim: Sim, names: dict[str, str], module: str, args: dict[str, Any], needle: str
) -> None:
    before = settled_state(sim)
    run = sim.run(module, substitute(args, names), label=f"bad-{module}")
    assert run.failed, f"{module} accepted bad input: {run.describe()}"
    assert needle.lower() in run.msg.lower(), f"message does not name {needle!r}: {run.msg}"
    assert run.writes == [], f"{module} wrote before refusing: {run.writes}"
    assert settled_state(sim) == before
