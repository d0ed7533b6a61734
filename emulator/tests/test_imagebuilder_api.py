"""Image templates, builds, run outputs and triggers through the unpatched
azure-mgmt-imagebuilder client, with plain HTTPS where no SDK call exists."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from test_imagebuilder_support import (
    CONTRIBUTOR,
    READER,
    UBUNTU,
    Ib,
    Identity,
    error_of,
    template_body,
)

from azsim.client import AdminClient

SUB_STATES = ["Queued", "Building", "Customizing", "Optimizing", "Validating", "Distributing"]


@pytest.fixture
def ib(arm_request: Callable[..., Any], admin: AdminClient, azsim: dict[str, Any]) -> Ib:
    return Ib(arm_request, admin, azsim["subscription_id"])


@pytest.fixture(autouse=True)
def delete_templates_first(imagebuilder_client: Any, resource_group: str, ib: Ib) -> Iterator[None]:
    """Delete the test's templates through the API before its group goes, so the staging
    groups they created go with them, as Azure removes them with their templates."""
    yield
    templates = imagebuilder_client.virtual_machine_image_templates
    for template in list(templates.list_by_resource_group(resource_group)):
        status = template.last_run_status
        if status is not None and status.run_state in ("Running", "Canceling"):
            ib.call("POST", ib.template_id(resource_group, template.name) + "/cancel")
            ib.advance(600)
        ib.call("DELETE", ib.template_id(resource_group, template.name))
    ib.advance(600)


@pytest.fixture
def builder(ib: Ib, resource_group: str) -> Identity:
    """A user-assigned identity with Contributor on the test resource group."""
    identity = ib.identity(resource_group)
    ib.grant(identity.principal_id, CONTRIBUTOR, ib.group_id(resource_group))
    return identity


@pytest.fixture
def definition(compute_client: Any, resource_group: str, ib: Ib) -> str:
    """A Linux V2 gallery image definition `gal/linux` in the test group; returns its id."""
    compute_client.galleries.begin_create_or_update(
        resource_group, "gal", {"location": "eastus"}
    ).result()
    compute_client.gallery_images.begin_create_or_update(
        resource_group,
        "gal",
        "linux",
        {
            "location": "eastus",
            "properties": {
                "identifier": {"publisher": "Contoso", "offer": "Golden", "sku": "ubuntu"},
                "osType": "Linux",
                "osState": "Generalized",
                "hyperVGeneration": "V2",
            },
        },
    ).result()
    return f"{ib.group_id(resource_group)}/providers/Microsoft.Compute/galleries/gal/images/linux"


@pytest.fixture
def slow_clock(admin: AdminClient) -> Iterator[None]:
    """Ten simulated seconds per real second, to look at a build while it runs."""
    previous = admin.clock().get("scale")
    admin.set_scale(10)
    yield
    admin.set_scale(previous)


def create(client: Any, group: str, name: str, body: dict[str, Any]) -> Any:
    return client.virtual_machine_image_templates.begin_create_or_update(group, name, body).result()


def path_of(url: str) -> str:
    """Path and query of a nextLink, for the raw caller that adds the host itself."""
    return "/" + url.split("/", 3)[3]


def raw_template(ib: Ib, group: str, name: str) -> dict[str, Any]:
    status, body, _ = ib.call("GET", ib.template_id(group, name))
    assert status == 200, body
    return body


# --- templates -------------------------------------------------------------------------------


def test_create_get_list_and_read_only_properties(
    imagebuilder_client: Any, resource_group: str, builder: Identity, ib: Ib
) -> None:
    body = template_body(builder, managedResourceTags={"costCenter": "images"})
    created = create(imagebuilder_client, resource_group, "t1", body)
    assert created.provisioning_state == "Succeeded"
    assert created.type == "Microsoft.VirtualMachineImages/imageTemplates"
    assert created.location == "eastus"
    staging = created.exact_staging_resource_group
    assert staging.startswith(f"{ib.group_id('IT_' + resource_group + '_t1_')}")
    assert created.build_timeout_in_minutes == 0
    assert created.vm_profile.vm_size == "" and created.vm_profile.os_disk_size_gb == 0
    assigned = created.identity.user_assigned_identities[builder.id]
    assert assigned.principal_id == builder.principal_id and assigned.client_id
    assert created.last_run_status is None

    fetched = imagebuilder_client.virtual_machine_image_templates.get(resource_group, "t1")
    assert fetched.source.version == "latest" and fetched.tags == {"purpose": "test"}
    names = [
        t.name
        for t in imagebuilder_client.virtual_machine_image_templates.list_by_resource_group(
            resource_group
        )
    ]
    assert names == ["t1"]
    assert "t1" in {t.name for t in imagebuilder_client.virtual_machine_image_templates.list()}

    # the staging group exists while the template does, tagged by the service
    status, group, _ = ib.call("GET", staging, api_version="2021-04-01")
    assert status == 200 and group["tags"]["createdBy"] == "AzureVMImageBuilder"
    assert group["tags"]["costCenter"] == "images"  # managedResourceTags


def test_put_on_an_existing_template_is_refused(
    imagebuilder_client: Any, resource_group: str, builder: Identity
) -> None:
    create(imagebuilder_client, resource_group, "once", template_body(builder))
    changed = template_body(builder, buildTimeoutInMinutes=90)
    error = error_of(
        lambda: imagebuilder_client.virtual_machine_image_templates.begin_create_or_update(
            resource_group, "once", changed
        )
    )
    assert error.status_code == 409
    assert error.error.code == "Conflict"
    assert "Update/Upgrade of image templates is currently not supported" in error.error.message


def test_template_lists_page_through_next_link(
    imagebuilder_client: Any, resource_group: str, builder: Identity, ib: Ib
) -> None:
    for index in range(3):
        create(imagebuilder_client, resource_group, f"p{index}", template_body(builder))
    path = ib.template_id(resource_group, "").rstrip("/")
    status, first, _ = ib.call("GET", path, query="&$top=2")
    assert status == 200 and len(first["value"]) == 2 and first["nextLink"]
    status, second, _ = ib.call_raw("GET", path_of(first["nextLink"]))
    assert [t["name"] for t in first["value"] + second["value"]] == ["p0", "p1", "p2"]
    assert "nextLink" not in second


def test_patch_accepts_tags_identity_distribute_and_vm_profile(
    imagebuilder_client: Any, resource_group: str, builder: Identity, ib: Ib
) -> None:
    create(imagebuilder_client, resource_group, "patched", template_body(builder))
    other = ib.identity(resource_group, "second")
    updated = imagebuilder_client.virtual_machine_image_templates.begin_update(
        resource_group,
        "patched",
        {
            "tags": {"stage": "two"},
            "identity": {"type": "UserAssigned", "userAssignedIdentities": {other.id: {}}},
            "properties": {
                "vmProfile": {"vmSize": "Standard_D4s_v5", "osDiskSizeGB": 64},
                "distribute": [{"type": "VHD", "runOutputName": "disk"}],
            },
        },
    ).result()
    assert updated.tags == {"stage": "two"}
    assert updated.vm_profile.vm_size == "Standard_D4s_v5"
    assert [d.run_output_name for d in updated.distribute] == ["disk"]
    assert list(updated.identity.user_assigned_identities) == [other.id]
    assert updated.provisioning_state == "Succeeded"
    assert updated.customize[0].name == "update"  # untouched


@pytest.mark.parametrize(
    "body",
    [
        {"properties": {"customize": []}},
        {"properties": {"source": UBUNTU}},
        {"location": "westus"},
        {"properties": {"buildTimeoutInMinutes": 30}},
    ],
)
def test_patch_refuses_anything_else(
    imagebuilder_client: Any, resource_group: str, builder: Identity, ib: Ib, body: dict[str, Any]
) -> None:
    create(imagebuilder_client, resource_group, "fixed", template_body(builder))
    status, answer, _ = ib.call("PATCH", ib.template_id(resource_group, "fixed"), body)
    assert status == 400
    assert answer["error"]["code"] == "InvalidRequestContent"
    assert (
        raw_template(ib, resource_group, "fixed")["properties"]["customize"][0]["name"] == "update"
    )


def _invalid(change: Callable[[dict[str, Any]], None]) -> Callable[[Identity], dict[str, Any]]:
    def build(identity: Identity) -> dict[str, Any]:
        body = template_body(identity)
        change(body)
        return body

    return build


INVALID_TEMPLATES: dict[str, tuple[Callable[[Identity], dict[str, Any]], str]] = {
    "timeout above 960": (
        _invalid(lambda b: b["properties"].update(buildTimeoutInMinutes=961)),
        "buildTimeoutInMinutes",
    ),
    "duplicate customizer names": (
        _invalid(
            lambda b: b["properties"]["customize"].append(
                {"type": "Shell", "name": "update", "inline": ["true"]}
            )
        ),
        "unique",
    ),
    "duplicate runOutputName": (
        _invalid(
            lambda b: b["properties"]["distribute"].append({"type": "VHD", "runOutputName": "vhd"})
        ),
        "runOutputName",
    ),
    "bad runOutputName": (
        _invalid(lambda b: b["properties"]["distribute"][0].update(runOutputName="a b")),
        "runOutputName",
    ),
    "two identities": (
        _invalid(
            lambda b: b["identity"]["userAssignedIdentities"].update(
                {b["identity"]["userAssignedIdentities"].copy().popitem()[0] + "x": {}}
            )
        ),
        "Exactly one",
    ),
    "no identity": (_invalid(lambda b: b.pop("identity")), "Missing field 'identity'"),
    "inline and scriptUri": (
        _invalid(lambda b: b["properties"]["customize"][0].update(scriptUri="https://h/s.sh")),
        "Exactly one",
    ),
    "bad checksum": (
        _invalid(
            lambda b: b["properties"]["customize"].append(
                {"type": "Shell", "scriptUri": "https://h/s.sh", "sha256Checksum": "12"}
            )
        ),
        "sha256Checksum",
    ),
    "runAsSystem without runElevated": (
        _invalid(
            lambda b: b["properties"]["customize"].append(
                {"type": "PowerShell", "inline": ["x"], "runAsSystem": True}
            )
        ),
        "runElevated",
    ),
    "source without version": (
        _invalid(lambda b: b["properties"]["source"].pop("version")),
        "version",
    ),
    "unknown source type": (
        _invalid(lambda b: b["properties"].update(source={"type": "ISO"})),
        "type",
    ),
    "managed image source without imageId": (
        _invalid(lambda b: b["properties"].update(source={"type": "ManagedImage"})),
        "imageId",
    ),
    "aci subnet without subnet": (
        _invalid(
            lambda b: b["properties"].update(
                vmProfile={
                    "vnetConfig": {
                        "containerInstanceSubnetId": "/subscriptions/s/resourceGroups/r/providers/"
                        "Microsoft.Network/virtualNetworks/v/subnets/aci"
                    }
                }
            )
        ),
        "subnetId",
    ),
    "bad error handling": (
        _invalid(lambda b: b["properties"].update(errorHandling={"onCustomizerError": "retry"})),
        "onCustomizerError",
    ),
    "shared image without gallery": (
        _invalid(
            lambda b: b["properties"].update(
                distribute=[{"type": "SharedImage", "runOutputName": "s"}]
            )
        ),
        "galleryImageId",
    ),
    "unknown field": (
        _invalid(lambda b: b["properties"].update(optimize={"vmboot": {"state": "Enabled"}})),
        "vmboot",
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID_TEMPLATES))
def test_template_validation_rules(
    imagebuilder_client: Any, resource_group: str, builder: Identity, case: str
) -> None:
    build, expected = INVALID_TEMPLATES[case]
    error = error_of(
        lambda: imagebuilder_client.virtual_machine_image_templates.begin_create_or_update(
            resource_group, "bad", build(builder)
        )
    )
    assert error.status_code == 400
    assert error.error.code in ("ValidationFailed", "InvalidRequestContent")
    assert expected in error.error.message
    with pytest.raises(ResourceNotFoundError):
        imagebuilder_client.virtual_machine_image_templates.get(resource_group, "bad")


def test_template_name_pattern(
    imagebuilder_client: Any, resource_group: str, builder: Identity
) -> None:
    error = error_of(
        lambda: imagebuilder_client.virtual_machine_image_templates.begin_create_or_update(
            resource_group, "x" * 65, template_body(builder)
        )
    )
    assert (error.status_code, error.error.code) == (400, "ValidationFailed")


def test_old_api_version_reports_errors_without_the_envelope(
    resource_group: str, builder: Identity, ib: Ib
) -> None:
    body = template_body(builder, buildTimeoutInMinutes=2000)
    status, answer, _ = ib.call("PUT", ib.template_id(resource_group, "old"), body, "2020-02-14")
    assert status == 400
    assert answer["code"] == "ValidationFailed" and "buildTimeoutInMinutes" in answer["message"]
    status, answer, _ = ib.call("PUT", ib.template_id(resource_group, "old"), body, "2022-07-01")
    assert status == 400 and answer["error"]["code"] == "ValidationFailed"


@pytest.mark.parametrize(
    "api_version",
    ["2020-02-14", "2021-10-01", "2022-02-14", "2022-07-01", "2023-07-01", "2024-02-01"],
)
def test_older_api_versions_create_and_read(
    resource_group: str, builder: Identity, ib: Ib, api_version: str
) -> None:
    path = ib.template_id(resource_group, "v" + api_version.replace("-", ""))
    status, answer, headers = ib.call("PUT", path, template_body(builder), api_version)
    assert status == 201 and "Azure-AsyncOperation" in headers
    ib.advance(60)
    status, answer, _ = ib.call("GET", path, api_version=api_version)
    assert status == 200 and answer["properties"]["provisioningState"] == "Succeeded"


def test_unknown_identity_is_refused(imagebuilder_client: Any, resource_group: str, ib: Ib) -> None:
    ghost = Identity(
        f"{ib.group_id(resource_group)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ghost",
        "",
    )
    error = error_of(
        lambda: imagebuilder_client.virtual_machine_image_templates.begin_create_or_update(
            resource_group, "ghostly", template_body(ghost)
        )
    )
    assert error.status_code == 400 and "ghost" in error.error.message


def test_unknown_build_vm_identity_is_refused(
    imagebuilder_client: Any, resource_group: str, builder: Identity, ib: Ib
) -> None:
    ghost = f"{ib.group_id(resource_group)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/vmghost"
    body = template_body(builder, vmProfile={"userAssignedIdentities": [ghost]})
    error = error_of(
        lambda: imagebuilder_client.virtual_machine_image_templates.begin_create_or_update(
            resource_group, "vmghost", body
        )
    )
    assert error.status_code == 400 and "vmghost" in error.error.message


def test_unknown_platform_image_leaves_a_failed_template(
    imagebuilder_client: Any, resource_group: str, builder: Identity
) -> None:
    body = template_body(builder, source=dict(UBUNTU, sku="no-such-sku"))
    error = error_of(
        lambda: imagebuilder_client.virtual_machine_image_templates.begin_create_or_update(
            resource_group, "nopir", body
        )
    )
    assert error.error.code == "BadPIRSource"
    failed = imagebuilder_client.virtual_machine_image_templates.get(resource_group, "nopir")
    assert failed.provisioning_error.provisioning_error_code == "BadPIRSource"


def test_missing_gallery_image_leaves_a_failed_template(
    imagebuilder_client: Any, resource_group: str, builder: Identity, ib: Ib
) -> None:
    missing = (
        f"{ib.group_id(resource_group)}/providers/Microsoft.Compute/galleries/none/images/none"
    )
    body = template_body(
        builder, [{"type": "SharedImage", "galleryImageId": missing, "runOutputName": "s"}]
    )
    error = error_of(
        lambda: imagebuilder_client.virtual_machine_image_templates.begin_create_or_update(
            resource_group, "nogallery", body
        )
    )
    assert error.error.code == "BadSharedImageDistribute"
    failed = imagebuilder_client.virtual_machine_image_templates.get(resource_group, "nogallery")
    assert failed.provisioning_state == "Failed"
    assert failed.provisioning_error.provisioning_error_code == "BadSharedImageDistribute"


def test_missing_source_image_leaves_a_failed_template(
    imagebuilder_client: Any, resource_group: str, builder: Identity, ib: Ib
) -> None:
    image_id = f"{ib.group_id(resource_group)}/providers/Microsoft.Compute/images/nothere"
    body = template_body(builder, source={"type": "ManagedImage", "imageId": image_id})
    error = error_of(
        lambda: imagebuilder_client.virtual_machine_image_templates.begin_create_or_update(
            resource_group, "orphan", body
        )
    )
    assert error.error.code == "BadManagedImageSource"
    failed = imagebuilder_client.virtual_machine_image_templates.get(resource_group, "orphan")
    assert failed.provisioning_state == "Failed"
    assert failed.provisioning_error.provisioning_error_code == "BadManagedImageSource"
    assert image_id in failed.provisioning_error.message
    # a failed template cannot be run, and is deleted like any other
    assert (
        error_of(
            lambda: imagebuilder_client.virtual_machine_image_templates.begin_run(
                resource_group, "orphan"
            )
        ).status_code
        == 409
    )
    imagebuilder_client.virtual_machine_image_templates.begin_delete(
        resource_group, "orphan"
    ).result()


# --- builds ----------------------------------------------------------------------------------


def test_auto_run_builds_on_creation(
    imagebuilder_client: Any, resource_group: str, builder: Identity, ib: Ib
) -> None:
    create(
        imagebuilder_client,
        resource_group,
        "auto",
        template_body(builder, autoRun={"state": "Enabled"}),
    )
    ib.advance(3600)
    status = imagebuilder_client.virtual_machine_image_templates.get(
        resource_group, "auto"
    ).last_run_status
    assert status.run_state == "Succeeded"
    outputs = imagebuilder_client.virtual_machine_image_templates.list_run_outputs(
        resource_group, "auto"
    )
    assert [o.name for o in outputs] == ["vhd"]


def test_build_distributes_to_gallery_managed_image_and_vhd(
    imagebuilder_client: Any,
    compute_client: Any,
    resource_group: str,
    builder: Identity,
    definition: str,
    ib: Ib,
) -> None:
    image_id = f"{ib.group_id(resource_group)}/providers/Microsoft.Compute/images/golden"
    distribute = [
        {
            "type": "SharedImage",
            "galleryImageId": definition,
            "runOutputName": "sig",
            "targetRegions": [{"name": "eastus"}, {"name": "westus2", "replicaCount": 2}],
            "artifactTags": {"built": "aib"},
        },
        {"type": "ManagedImage", "imageId": image_id, "location": "eastus", "runOutputName": "mi"},
        {"type": "VHD", "runOutputName": "vhd"},
    ]
    create(imagebuilder_client, resource_group, "full", template_body(builder, distribute))
    imagebuilder_client.virtual_machine_image_templates.begin_run(resource_group, "full").result()

    template = imagebuilder_client.virtual_machine_image_templates.get(resource_group, "full")
    status = template.last_run_status
    assert status.run_state == "Succeeded" and status.end_time > status.start_time
    duration = (status.end_time - status.start_time).total_seconds()
    assert 15 * 60 <= duration <= 90 * 60  # tens of simulated minutes
    assert template.source.exact_version not in (None, "", "latest")

    outputs = {
        o.name: o
        for o in imagebuilder_client.virtual_machine_image_templates.list_run_outputs(
            resource_group, "full"
        )
    }
    assert set(outputs) == {"sig", "mi", "vhd"}
    assert all(o.provisioning_state == "Succeeded" for o in outputs.values())
    version = compute_client.gallery_image_versions.get(
        resource_group, "gal", "linux", outputs["sig"].artifact_id.rsplit("/", 1)[-1]
    )
    assert version.id.lower() == outputs["sig"].artifact_id.lower()
    assert version.tags == {"built": "aib"}
    assert {r.name.replace(" ", "").lower() for r in version.publishing_profile.target_regions} == {
        "eastus",
        "westus2",
    }
    image = compute_client.images.get(resource_group, "golden")
    assert image.id.lower() == outputs["mi"].artifact_id.lower()
    assert image.storage_profile.os_disk.os_type == "Linux"
    assert outputs["vhd"].artifact_uri.startswith("https://") and outputs[
        "vhd"
    ].artifact_uri.endswith(".vhd")
    one = imagebuilder_client.virtual_machine_image_templates.get_run_output(
        resource_group, "full", "mi"
    )
    assert one.artifact_id == outputs["mi"].artifact_id
    with pytest.raises(ResourceNotFoundError):
        imagebuilder_client.virtual_machine_image_templates.get_run_output(
            resource_group, "full", "nope"
        )

    # a second run publishes the next version under the Latest scheme
    imagebuilder_client.virtual_machine_image_templates.begin_run(resource_group, "full").result()
    second = imagebuilder_client.virtual_machine_image_templates.get_run_output(
        resource_group, "full", "sig"
    )
    assert second.artifact_id != outputs["sig"].artifact_id
    assert second.artifact_id.rsplit("/", 1)[-1] > version.name


def test_run_outputs_page(
    imagebuilder_client: Any, resource_group: str, builder: Identity, ib: Ib
) -> None:
    distribute = [{"type": "VHD", "runOutputName": f"vhd{i}"} for i in range(3)]
    create(imagebuilder_client, resource_group, "pages", template_body(builder, distribute))
    imagebuilder_client.virtual_machine_image_templates.begin_run(resource_group, "pages").result()
    path = ib.template_id(resource_group, "pages") + "/runOutputs"
    status, first, _ = ib.call("GET", path, query="&$top=2")
    assert status == 200 and len(first["value"]) == 2 and first["nextLink"]
    all_names = [
        o.name
        for o in imagebuilder_client.virtual_machine_image_templates.list_run_outputs(
            resource_group, "pages"
        )
    ]
    assert all_names == ["vhd0", "vhd1", "vhd2"]


def test_source_versioning_scheme_uses_the_platform_version(
    imagebuilder_client: Any, resource_group: str, builder: Identity, definition: str
) -> None:
    distribute = [
        {
            "type": "SharedImage",
            "galleryImageId": definition,
            "runOutputName": "sig",
            "versioning": {"scheme": "Source"},
        }
    ]
    create(imagebuilder_client, resource_group, "bysource", template_body(builder, distribute))
    imagebuilder_client.virtual_machine_image_templates.begin_run(
        resource_group, "bysource"
    ).result()
    template = imagebuilder_client.virtual_machine_image_templates.get(resource_group, "bysource")
    output = imagebuilder_client.virtual_machine_image_templates.get_run_output(
        resource_group, "bysource", "sig"
    )
    version = output.artifact_id.rsplit("/", 1)[-1]
    assert version.split(".")[0] == template.source.exact_version.split(".")[0]


def _full_pipeline(identity: Identity, definition: str) -> dict[str, Any]:
    return template_body(
        identity,
        [{"type": "SharedImage", "galleryImageId": definition, "runOutputName": "sig"}],
        optimize={"vmBoot": {"state": "Enabled"}},
        validate={
            "inVMValidations": [
                {"type": "Shell", "name": "check", "inline": ["test -f /etc/os-release"]}
            ]
        },
    )


@pytest.mark.parametrize("sub_state", SUB_STATES)
def test_failure_at_each_sub_state(
    imagebuilder_client: Any,
    compute_client: Any,
    resource_group: str,
    builder: Identity,
    definition: str,
    ib: Ib,
    sub_state: str,
) -> None:
    name = f"fail-{sub_state.lower()}"
    create(imagebuilder_client, resource_group, name, _full_pipeline(builder, definition))
    ib.fail(name, sub_state, f"injected {sub_state} failure")
    error = error_of(
        lambda: imagebuilder_client.virtual_machine_image_templates.begin_run(resource_group, name)
    )
    assert f"injected {sub_state} failure" in str(error.message)
    status = imagebuilder_client.virtual_machine_image_templates.get(
        resource_group, name
    ).last_run_status
    assert status.run_state == "Failed"
    assert status.run_sub_state == sub_state
    assert f"injected {sub_state} failure" in status.message
    assert status.end_time is not None
    versions = list(
        compute_client.gallery_image_versions.list_by_gallery_image(resource_group, "gal", "linux")
    )
    assert versions == []
    # the rule was used up: the next build succeeds
    imagebuilder_client.virtual_machine_image_templates.begin_run(resource_group, name).result()
    assert (
        imagebuilder_client.virtual_machine_image_templates.get(
            resource_group, name
        ).last_run_status.run_state
        == "Succeeded"
    )


def test_customization_failure_points_at_the_log(
    imagebuilder_client: Any, resource_group: str, builder: Identity, ib: Ib
) -> None:
    create(imagebuilder_client, resource_group, "logs", template_body(builder))
    ib.fail(ib.template_id(resource_group, "logs"), "Customizing", "apt-get exited with 100")
    error_of(
        lambda: imagebuilder_client.virtual_machine_image_templates.begin_run(
            resource_group, "logs"
        )
    )
    status = imagebuilder_client.virtual_machine_image_templates.get(
        resource_group, "logs"
    ).last_run_status
    assert "/packerlogs/" in status.message and "/customization.log" in status.message
    assert "Image Build log location:" in status.message


def test_validation_failure_can_still_distribute(
    imagebuilder_client: Any,
    compute_client: Any,
    resource_group: str,
    builder: Identity,
    definition: str,
    ib: Ib,
) -> None:
    body = _full_pipeline(builder, definition)
    body["properties"]["validate"]["continueDistributeOnFailure"] = True
    create(imagebuilder_client, resource_group, "keepgoing", body)
    ib.fail("keepgoing", "Validating", "validation script failed")
    error_of(
        lambda: imagebuilder_client.virtual_machine_image_templates.begin_run(
            resource_group, "keepgoing"
        )
    )
    status = imagebuilder_client.virtual_machine_image_templates.get(
        resource_group, "keepgoing"
    ).last_run_status
    assert status.run_state == "Failed" and "validation script failed" in status.message
    assert (
        len(
            list(
                compute_client.gallery_image_versions.list_by_gallery_image(
                    resource_group, "gal", "linux"
                )
            )
        )
        == 1
    )


def test_source_validation_only_validates_without_building(
    imagebuilder_client: Any, resource_group: str, builder: Identity
) -> None:
    body = template_body(
        builder,
        customize=[],
        validate={
            "sourceValidationOnly": True,
            "inVMValidations": [{"type": "Shell", "name": "os", "inline": ["cat /etc/os-release"]}],
        },
    )
    create(imagebuilder_client, resource_group, "checkonly", body)
    imagebuilder_client.virtual_machine_image_templates.begin_run(
        resource_group, "checkonly"
    ).result()
    status = imagebuilder_client.virtual_machine_image_templates.get(
        resource_group, "checkonly"
    ).last_run_status
    assert status.run_state == "Succeeded"
    assert (
        list(
            imagebuilder_client.virtual_machine_image_templates.list_run_outputs(
                resource_group, "checkonly"
            )
        )
        == []
    )


def test_build_timeout_fails_the_run(
    imagebuilder_client: Any, resource_group: str, builder: Identity
) -> None:
    body = template_body(builder, buildTimeoutInMinutes=20)
    body["properties"]["customize"] = [{"type": "WindowsUpdate"}, {"type": "WindowsRestart"}]
    create(imagebuilder_client, resource_group, "slow", body)
    error_of(
        lambda: imagebuilder_client.virtual_machine_image_templates.begin_run(
            resource_group, "slow"
        )
    )
    status = imagebuilder_client.virtual_machine_image_templates.get(
        resource_group, "slow"
    ).last_run_status
    assert status.run_state == "Failed" and "context deadline exceeded" in status.message
    assert (status.end_time - status.start_time).total_seconds() == pytest.approx(20 * 60, abs=5)


def test_identity_without_rights_on_the_gallery(
    imagebuilder_client: Any, resource_group: str, ib: Ib, definition: str
) -> None:
    reader = ib.identity(resource_group, "reader")
    ib.grant(reader.principal_id, READER, ib.group_id(resource_group))
    distribute = [{"type": "SharedImage", "galleryImageId": definition, "runOutputName": "sig"}]
    create(imagebuilder_client, resource_group, "norights", template_body(reader, distribute))
    error_of(
        lambda: imagebuilder_client.virtual_machine_image_templates.begin_run(
            resource_group, "norights"
        )
    )
    status = imagebuilder_client.virtual_machine_image_templates.get(
        resource_group, "norights"
    ).last_run_status
    assert status.run_state == "Failed" and status.run_sub_state == "Distributing"
    assert f"Not authorized to access the resource: {definition}" in status.message
    output = imagebuilder_client.virtual_machine_image_templates.get_run_output(
        resource_group, "norights", "sig"
    )
    assert output.provisioning_state == "Failed" and output.artifact_id is None

    # with Contributor on the gallery the same template builds
    ib.grant(reader.principal_id, CONTRIBUTOR, definition.split("/images/")[0])
    imagebuilder_client.virtual_machine_image_templates.begin_run(
        resource_group, "norights"
    ).result()
    assert (
        imagebuilder_client.virtual_machine_image_templates.get_run_output(
            resource_group, "norights", "sig"
        ).provisioning_state
        == "Succeeded"
    )


def test_partial_success_when_one_target_fails(
    imagebuilder_client: Any, resource_group: str, ib: Ib, definition: str
) -> None:
    reader = ib.identity(resource_group, "partial")
    ib.grant(reader.principal_id, READER, ib.group_id(resource_group))
    distribute = [
        {"type": "SharedImage", "galleryImageId": definition, "runOutputName": "sig"},
        {"type": "VHD", "runOutputName": "vhd"},
    ]
    create(imagebuilder_client, resource_group, "partial", template_body(reader, distribute))
    error_of(
        lambda: imagebuilder_client.virtual_machine_image_templates.begin_run(
            resource_group, "partial"
        )
    )
    status = imagebuilder_client.virtual_machine_image_templates.get(
        resource_group, "partial"
    ).last_run_status
    assert status.run_state == "PartiallySucceeded"
    assert "Failed in distributing 1 images out of total 2" in status.message


def test_source_without_read_rights_fails_while_building(
    imagebuilder_client: Any, resource_group: str, ib: Ib, builder: Identity, definition: str
) -> None:
    # publish a version with a rightful identity, then build from it with one that has none
    distribute = [{"type": "SharedImage", "galleryImageId": definition, "runOutputName": "sig"}]
    create(imagebuilder_client, resource_group, "seed", template_body(builder, distribute))
    imagebuilder_client.virtual_machine_image_templates.begin_run(resource_group, "seed").result()
    nobody = ib.identity(resource_group, "nobody")
    source = {"type": "SharedImageVersion", "imageVersionId": f"{definition}/versions/latest"}
    create(imagebuilder_client, resource_group, "blind", template_body(nobody, source=source))
    error_of(
        lambda: imagebuilder_client.virtual_machine_image_templates.begin_run(
            resource_group, "blind"
        )
    )
    status = imagebuilder_client.virtual_machine_image_templates.get(
        resource_group, "blind"
    ).last_run_status
    assert status.run_state == "Failed" and status.run_sub_state == "Building"
    assert "Not authorized to access the resource" in status.message


@pytest.mark.usefixtures("slow_clock")
def test_cancel_and_delete_refused_while_running(
    imagebuilder_client: Any, resource_group: str, builder: Identity, ib: Ib
) -> None:
    create(imagebuilder_client, resource_group, "busy", template_body(builder))
    run = imagebuilder_client.virtual_machine_image_templates.begin_run(resource_group, "busy")
    ib.advance(200)
    running = imagebuilder_client.virtual_machine_image_templates.get(
        resource_group, "busy"
    ).last_run_status
    assert running.run_state == "Running" and running.run_sub_state == "Building"
    error = error_of(
        lambda: imagebuilder_client.virtual_machine_image_templates.begin_delete(
            resource_group, "busy"
        )
    )
    assert error.status_code == 409 and "running" in error.error.message
    again = error_of(
        lambda: imagebuilder_client.virtual_machine_image_templates.begin_run(
            resource_group, "busy"
        )
    )
    assert again.status_code == 409

    cancel = imagebuilder_client.virtual_machine_image_templates.begin_cancel(
        resource_group, "busy"
    )
    canceling = imagebuilder_client.virtual_machine_image_templates.get(
        resource_group, "busy"
    ).last_run_status
    assert canceling.run_state == "Canceling"
    ib.advance(300)
    cancel.result()
    with pytest.raises(HttpResponseError):
        run.result()
    ended = imagebuilder_client.virtual_machine_image_templates.get(
        resource_group, "busy"
    ).last_run_status
    assert ended.run_state == "Canceled" and ended.end_time is not None
    nothing = error_of(
        lambda: imagebuilder_client.virtual_machine_image_templates.begin_cancel(
            resource_group, "busy"
        )
    )
    assert nothing.status_code == 409

    delete = imagebuilder_client.virtual_machine_image_templates.begin_delete(
        resource_group, "busy"
    )
    ib.advance(300)
    delete.result()
    with pytest.raises(ResourceNotFoundError):
        imagebuilder_client.virtual_machine_image_templates.get(resource_group, "busy")


def test_delete_removes_the_staging_group_it_created(
    imagebuilder_client: Any, resource_group: str, builder: Identity, ib: Ib
) -> None:
    created = create(imagebuilder_client, resource_group, "gone", template_body(builder))
    staging = created.exact_staging_resource_group
    assert ib.call("GET", staging, api_version="2021-04-01")[0] == 200
    imagebuilder_client.virtual_machine_image_templates.begin_delete(
        resource_group, "gone"
    ).result()
    assert ib.call("GET", staging, api_version="2021-04-01")[0] == 404


def test_deleting_the_group_removes_its_templates_staging_groups(
    imagebuilder_client: Any, resource_client: Any, resource_group: str, builder: Identity, ib: Ib
) -> None:
    group = resource_group + "-templates"
    resource_client.resource_groups.create_or_update(group, {"location": "eastus"})
    created = create(imagebuilder_client, group, "held", template_body(builder))
    staging = created.exact_staging_resource_group
    assert ib.call("GET", staging, api_version="2021-04-01")[0] == 200
    resource_client.resource_groups.begin_delete(group).result()
    assert ib.call("GET", staging, api_version="2021-04-01")[0] == 404
    assert not any(i.lower().startswith(staging.lower()) for i in ib.admin.state())
    # the identity in the other group is untouched
    assert ib.call("GET", builder.id, api_version="2023-01-31")[0] == 200


@pytest.fixture
def staging_name(resource_client: Any, resource_group: str) -> Iterator[str]:
    """The name of a group the test may use as a staging group; removed afterwards."""
    name = resource_group + "-staging"
    yield name
    if resource_client.resource_groups.check_existence(name):
        resource_client.resource_groups.begin_delete(name).result()


def test_given_staging_group_that_does_not_exist_is_created_and_removed(
    imagebuilder_client: Any,
    resource_client: Any,
    resource_group: str,
    builder: Identity,
    ib: Ib,
    staging_name: str,
) -> None:
    staging = ib.group_id(staging_name)
    body = template_body(builder, stagingResourceGroup=staging)
    created = create(imagebuilder_client, resource_group, "mine", body)
    assert created.exact_staging_resource_group == staging == created.staging_resource_group
    assert resource_client.resource_groups.check_existence(staging_name)
    imagebuilder_client.virtual_machine_image_templates.begin_delete(
        resource_group, "mine"
    ).result()
    assert not resource_client.resource_groups.check_existence(staging_name)


def test_given_empty_staging_group_is_used_and_kept(
    imagebuilder_client: Any,
    resource_client: Any,
    resource_group: str,
    builder: Identity,
    ib: Ib,
    staging_name: str,
) -> None:
    resource_client.resource_groups.create_or_update(staging_name, {"location": "eastus"})
    body = template_body(builder, stagingResourceGroup=ib.group_id(staging_name))
    create(imagebuilder_client, resource_group, "theirs", body)
    used = [r.type for r in resource_client.resources.list_by_resource_group(staging_name)]
    assert used == ["Microsoft.Storage/storageAccounts"]
    imagebuilder_client.virtual_machine_image_templates.begin_delete(
        resource_group, "theirs"
    ).result()
    assert resource_client.resource_groups.check_existence(staging_name)
    assert list(resource_client.resources.list_by_resource_group(staging_name)) == []


def test_given_staging_group_must_be_empty(
    imagebuilder_client: Any,
    resource_client: Any,
    resource_group: str,
    builder: Identity,
    ib: Ib,
    staging_name: str,
) -> None:
    resource_client.resource_groups.create_or_update(staging_name, {"location": "eastus"})
    ib.identity(staging_name, "occupant")
    body = template_body(builder, stagingResourceGroup=ib.group_id(staging_name))
    error = error_of(
        lambda: imagebuilder_client.virtual_machine_image_templates.begin_create_or_update(
            resource_group, "crowded", body
        )
    )
    assert error.error.code == "BadStagingResourceGroup" and "empty" in error.error.message
    failed = imagebuilder_client.virtual_machine_image_templates.get(resource_group, "crowded")
    assert failed.provisioning_error.provisioning_error_code == "BadStagingResourceGroup"


def test_failure_rule_admin_api_validates_its_input(admin: AdminClient) -> None:
    for body in (
        {"sub_state": "Customizing"},
        {"template": "t", "sub_state": "Sleeping"},
        {"template": "t", "sub_state": "Building", "count": 0},
    ):
        status = admin_status(admin, "POST", "imagebuilder/failures", body)
        assert status == 400


def admin_status(admin: AdminClient, method: str, path: str, body: Any) -> int:
    from azsim.client import AdminError

    try:
        admin.call(method, path, body)
    except AdminError as error:
        return error.status
    return 200


# --- triggers --------------------------------------------------------------------------------


def test_source_image_trigger_lifecycle_and_deactivation(
    imagebuilder_client: Any, resource_group: str, builder: Identity, definition: str, ib: Ib
) -> None:
    seed = [{"type": "SharedImage", "galleryImageId": definition, "runOutputName": "sig"}]
    create(imagebuilder_client, resource_group, "seeder", template_body(builder, seed))
    imagebuilder_client.virtual_machine_image_templates.begin_run(resource_group, "seeder").result()

    source = {"type": "SharedImageVersion", "imageVersionId": f"{definition}/versions/latest"}
    create(imagebuilder_client, resource_group, "follower", template_body(builder, source=source))
    trigger = imagebuilder_client.triggers.begin_create_or_update(
        resource_group, "follower", "source", {"properties": {"kind": "SourceImage"}}
    ).result()
    assert (
        trigger.properties.kind == "SourceImage"
        and trigger.properties.provisioning_state == "Succeeded"
    )
    assert (
        trigger.properties.status.code == "Healthy"
        and trigger.properties.status.message == "Trigger is active."
    )
    assert trigger.properties.status.time is not None
    listed = list(imagebuilder_client.triggers.list_by_image_template(resource_group, "follower"))
    assert [t.name for t in listed] == ["source"]

    # a new source version starts a build of the follower
    imagebuilder_client.virtual_machine_image_templates.begin_run(resource_group, "seeder").result()
    ib.advance(600)
    status = imagebuilder_client.virtual_machine_image_templates.get(
        resource_group, "follower"
    ).last_run_status
    assert status is not None and status.run_state in ("Running", "Succeeded")
    ib.advance(3600)
    follower = imagebuilder_client.virtual_machine_image_templates.get(resource_group, "follower")
    assert follower.last_run_status.run_state == "Succeeded"
    newest = imagebuilder_client.virtual_machine_image_templates.get_run_output(
        resource_group, "seeder", "sig"
    ).artifact_id
    assert follower.source.exact_version.lower() == newest.lower()  # `latest` resolved

    second = error_of(
        lambda: imagebuilder_client.triggers.begin_create_or_update(
            resource_group, "follower", "another", {"properties": {"kind": "SourceImage"}}
        )
    )
    assert second.status_code == 400 and "Only one" in second.error.message

    trigger_id = ib.template_id(resource_group, "follower") + "/triggers/source"
    ib.admin.call("POST", "imagebuilder/triggers/deactivate", {"trigger": trigger_id})
    disabled = imagebuilder_client.triggers.get(resource_group, "follower", "source")
    assert (
        disabled.properties.status.code == "Disabled"
        and "failed builds" in disabled.properties.status.message
    )

    imagebuilder_client.triggers.begin_delete(resource_group, "follower", "source").result()
    with pytest.raises(ResourceNotFoundError):
        imagebuilder_client.triggers.get(resource_group, "follower", "source")


def test_trigger_disabled_after_repeated_failed_builds(
    imagebuilder_client: Any, resource_group: str, builder: Identity, definition: str, ib: Ib
) -> None:
    seed = [{"type": "SharedImage", "galleryImageId": definition, "runOutputName": "sig"}]
    create(imagebuilder_client, resource_group, "seeder", template_body(builder, seed))
    imagebuilder_client.virtual_machine_image_templates.begin_run(resource_group, "seeder").result()
    source = {"type": "SharedImageVersion", "imageVersionId": f"{definition}/versions/latest"}
    create(imagebuilder_client, resource_group, "flaky", template_body(builder, source=source))
    imagebuilder_client.triggers.begin_create_or_update(
        resource_group, "flaky", "source", {"properties": {"kind": "SourceImage"}}
    ).result()
    ib.fail("flaky", "Customizing", "flaky script", count=3)
    for _ in range(3):
        imagebuilder_client.virtual_machine_image_templates.begin_run(
            resource_group, "seeder"
        ).result()
        # Five-minute steps, so the trigger's poll starts the build and the build then runs
        # to its failure; one jump would start it at the jump's end.
        for _ in range(12):
            ib.advance(300)
    trigger = imagebuilder_client.triggers.get(resource_group, "flaky", "source")
    assert trigger.properties.status.code == "Disabled"
    assert "3 consecutive failed builds" in trigger.properties.status.message


def test_trigger_needs_a_source_that_follows_latest(
    imagebuilder_client: Any, resource_group: str, builder: Identity
) -> None:
    pinned = dict(UBUNTU, version="24.04.202502210")
    create(imagebuilder_client, resource_group, "pinned", template_body(builder, source=pinned))
    error = error_of(
        lambda: imagebuilder_client.triggers.begin_create_or_update(
            resource_group, "pinned", "source", {"properties": {"kind": "SourceImage"}}
        )
    )
    assert error.status_code == 400 and "latest" in error.error.message


def test_trigger_kind_must_be_source_image(
    resource_group: str, builder: Identity, imagebuilder_client: Any, ib: Ib
) -> None:
    create(imagebuilder_client, resource_group, "kinds", template_body(builder))
    path = ib.template_id(resource_group, "kinds") + "/triggers/t"
    status, answer, _ = ib.call("PUT", path, {"properties": {"kind": "Schedule"}})
    assert status == 400 and answer["error"]["code"] == "ValidationFailed"
    status, answer, _ = ib.call("PUT", path, {"properties": {"kind": "SourceImage"}}, "2022-02-14")
    assert status == 400  # triggers came with 2022-07-01


def test_unknown_template_is_404(imagebuilder_client: Any, resource_group: str) -> None:
    with pytest.raises(ResourceNotFoundError) as raised:
        imagebuilder_client.virtual_machine_image_templates.get(resource_group, "nothing")
    assert raised.value.error.code == "ResourceNotFound"
    with pytest.raises(ResourceNotFoundError):
        list(
            imagebuilder_client.virtual_machine_image_templates.list_run_outputs(
                resource_group, "nothing"
            )
        )


def test_a_body_read_back_can_not_be_put_again_but_a_copy_under_a_new_name_can(
    imagebuilder_client: Any, resource_group: str, builder: Identity, ib: Ib
) -> None:
    create(imagebuilder_client, resource_group, "orig", template_body(builder))
    body = copy.deepcopy(raw_template(ib, resource_group, "orig"))
    status, _, _ = ib.call("PUT", ib.template_id(resource_group, "copy"), body)
    assert status == 201
