"""Galleries and image definitions through the unpatched azure-mgmt-compute client and plain
HTTPS (older api-versions, paging)."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from test_compute_support import Arm, error_of, gallery_body, image_body

pytestmark = pytest.mark.usefixtures("arm")


def test_gallery_lifecycle(compute, rg: str, arm: Arm) -> None:
    created = compute.galleries.begin_create_or_update(
        rg, "gal_1", gallery_body(description="first", tags={"team": "a"})
    ).result()
    assert created.properties.provisioning_state == "Succeeded"
    assert created.properties.identifier.unique_name.endswith("-GAL_1")
    assert created.tags == {"team": "a"}

    updated = compute.galleries.begin_update(
        rg, "gal_1", {"properties": {"description": "second"}, "tags": {"team": "b"}}
    ).result()
    assert updated.properties.description == "second"
    assert updated.tags == {"team": "b"}
    fetched = compute.galleries.get(rg, "gal_1")
    assert fetched.properties.description == "second"

    assert [g.name for g in compute.galleries.list_by_resource_group(rg)] == ["gal_1"]
    assert "gal_1" in {g.name for g in compute.galleries.list()}

    compute.galleries.begin_delete(rg, "gal_1").result()
    with pytest.raises(ResourceNotFoundError):
        compute.galleries.get(rg, "gal_1")


def test_gallery_write_is_long_running(rg: str, arm: Arm) -> None:
    status, body, headers = arm.call("PUT", arm.gallery_path(rg, "lro"), gallery_body())
    assert status == 201
    assert body["properties"]["provisioningState"] == "Creating"
    assert "Azure-AsyncOperation" in headers
    assert int(headers["Retry-After"]) >= 1
    arm.advance(60)
    status, body, _ = arm.call("GET", arm.gallery_path(rg, "lro"))
    assert body["properties"]["provisioningState"] == "Succeeded"


@pytest.mark.parametrize("name", ["_bad", "bad-", "bad.", "a" * 81])
def test_gallery_name_rule(compute, rg: str, name: str) -> None:
    error = error_of(lambda: compute.galleries.begin_create_or_update(rg, name, gallery_body()))
    assert (error.status_code, error.error.code) == (400, "InvalidParameter")
    assert "galleryName" in error.error.message


def test_gallery_lists_page_through_next_link(rg: str, arm: Arm) -> None:
    for index in range(3):
        arm.call("PUT", arm.gallery_path(rg, f"page{index}"), gallery_body())
    status, first, _ = arm.call("GET", arm.gallery_path(rg, ""), query={"$top": "2"})
    assert status == 200 and len(first["value"]) == 2 and first["nextLink"]
    second = arm.get_url(first["nextLink"])
    assert [g["name"] for g in first["value"] + second["value"]] == ["page0", "page1", "page2"]
    assert "nextLink" not in second


@pytest.mark.parametrize("api_version", ["2019-03-01", "2021-10-01", "2022-03-03", "2025-03-03"])
def test_gallery_older_api_versions(rg: str, arm: Arm, api_version: str) -> None:
    path = arm.gallery_path(rg, "old" + api_version.replace("-", ""))
    status, body, _ = arm.call("PUT", path, gallery_body(), api_version=api_version)
    assert status == 201
    arm.advance(60)
    status, body, _ = arm.call("GET", path, api_version=api_version)
    assert body["properties"]["provisioningState"] == "Succeeded"


def test_gallery_unknown_api_version(rg: str, arm: Arm) -> None:
    status, body, _ = arm.call(
        "PUT", arm.gallery_path(rg, "x"), gallery_body(), api_version="2018-06-01"
    )
    assert status == 400
    assert body["error"]["code"] == "NoRegisteredProviderFound"


def test_gallery_with_definitions_cannot_be_deleted(compute, rg: str) -> None:
    compute.galleries.begin_create_or_update(rg, "holder", gallery_body()).result()
    compute.gallery_images.begin_create_or_update(rg, "holder", "img", image_body()).result()
    error = error_of(lambda: compute.galleries.begin_delete(rg, "holder"))
    assert (error.status_code, error.error.code) == (409, "CannotDeleteResource")
    assert "holder/images/img" in error.error.message
    compute.gallery_images.begin_delete(rg, "holder", "img").result()
    compute.galleries.begin_delete(rg, "holder").result()


def test_share_action_and_sharing_profile_views(compute, rg: str) -> None:
    compute.galleries.begin_create_or_update(
        rg, "shared", gallery_body(sharingProfile={"permissions": "Groups"})
    ).result()
    result = compute.gallery_sharing_profile.begin_update(
        rg,
        "shared",
        {"operationType": "Add", "groups": [{"type": "Subscriptions", "ids": ["sub-a", "sub-b"]}]},
    ).result()
    assert result.operation_type == "Add"
    plain = compute.galleries.get(rg, "shared", select="Permissions")
    assert plain.properties.sharing_profile.permissions == "Groups"
    assert not plain.properties.sharing_profile.groups
    expanded = compute.galleries.get(rg, "shared", expand="SharingProfile/Groups")
    assert [(g.type, g.ids) for g in expanded.properties.sharing_profile.groups] == [
        ("Subscriptions", ["sub-a", "sub-b"])
    ]
    compute.gallery_sharing_profile.begin_update(
        rg,
        "shared",
        {"operationType": "Remove", "groups": [{"type": "Subscriptions", "ids": ["sub-a"]}]},
    ).result()
    expanded = compute.galleries.get(rg, "shared", expand="SharingProfile/Groups")
    assert expanded.properties.sharing_profile.groups[0].ids == ["sub-b"]
    compute.gallery_sharing_profile.begin_update(rg, "shared", {"operationType": "Reset"}).result()
    reset = compute.galleries.get(rg, "shared", expand="SharingProfile/Groups")
    assert reset.properties.sharing_profile.permissions == "Private"


def test_share_action_refused_on_private_gallery(compute, rg: str) -> None:
    compute.galleries.begin_create_or_update(rg, "private", gallery_body()).result()
    error = error_of(
        lambda: compute.gallery_sharing_profile.begin_update(
            rg,
            "private",
            {"operationType": "Add", "groups": [{"type": "AADTenants", "ids": ["t"]}]},
        )
    )
    assert (error.status_code, error.error.code) == (409, "OperationNotAllowed")


def test_community_gallery(compute, rg: str) -> None:
    info = {
        "publisherUri": "https://contoso.example",
        "publisherContact": "images@contoso.example",
        "eula": "https://contoso.example/eula",
        "publicNamePrefix": "contoso",
    }
    compute.galleries.begin_create_or_update(
        rg,
        "community",
        gallery_body(sharingProfile={"permissions": "Community", "communityGalleryInfo": info}),
    ).result()
    compute.gallery_sharing_profile.begin_update(
        rg, "community", {"operationType": "EnableCommunity"}
    ).result()
    gallery = compute.galleries.get(rg, "community")
    community = gallery.properties.sharing_profile.community_gallery_info
    assert community.community_gallery_enabled is True
    assert community.public_names[0].startswith("contoso-")
    error = error_of(
        lambda: compute.galleries.begin_create_or_update(
            rg, "community2", gallery_body(sharingProfile={"permissions": "Community"})
        )
    )
    assert error.error.code == "InvalidParameter"


# ---------------------------------------------------------------- image definitions


def test_definition_lifecycle_with_every_property(compute, rg: str) -> None:
    compute.galleries.begin_create_or_update(rg, "defs", gallery_body()).result()
    body = image_body(
        hyperVGeneration="V2",
        architecture="x64",
        description="Ubuntu base",
        eula="eula text",
        privacyStatementUri="https://contoso.example/privacy",
        releaseNoteUri="https://contoso.example/notes",
        endOfLifeDate="2030-01-01T00:00:00+00:00",
        recommended={"vCPUs": {"min": 2, "max": 16}, "memory": {"min": 4, "max": 64}},
        disallowed={"diskTypes": ["Standard_LRS"]},
        purchasePlan={"name": "plan", "publisher": "contoso", "product": "base"},
        features=[
            {"name": "SecurityType", "value": "TrustedLaunchSupported"},
            {"name": "IsAcceleratedNetworkSupported", "value": "True"},
            {"name": "DiskControllerTypes", "value": "SCSI, NVMe"},
            {"name": "IsHibernateSupported", "value": "False"},
        ],
    )
    created = compute.gallery_images.begin_create_or_update(rg, "defs", "ubuntu", body).result()
    props = created.properties
    assert props.provisioning_state == "Succeeded"
    assert (props.identifier.publisher, props.identifier.offer, props.identifier.sku) == (
        "Contoso", "Base", "ubuntu")  # fmt: skip
    assert props.recommended["vCPUs"]["max"] == 16 and props.disallowed.disk_types == [
        "Standard_LRS"
    ]
    assert props.purchase_plan.product == "base"
    assert {f.name for f in props.features} >= {"SecurityType", "IsHibernateSupported"}

    updated = compute.gallery_images.begin_update(
        rg, "defs", "ubuntu", {"properties": {"description": "changed"}, "tags": {"x": "y"}}
    ).result()
    assert updated.properties.description == "changed" and updated.tags == {"x": "y"}
    assert [i.name for i in compute.gallery_images.list_by_gallery(rg, "defs")] == ["ubuntu"]
    compute.gallery_images.begin_delete(rg, "defs", "ubuntu").result()
    with pytest.raises(ResourceNotFoundError):
        compute.gallery_images.get(rg, "defs", "ubuntu")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("osType", "Windows"),
        ("osState", "Specialized"),
        ("hyperVGeneration", "V1"),
        ("architecture", "Arm64"),
        ("identifier", {"publisher": "Other", "offer": "Base", "sku": "ubuntu"}),
        ("features", [{"name": "SecurityType", "value": "TrustedLaunch"}]),
    ],
)
def test_definition_fixed_properties(compute, rg: str, field: str, value: object) -> None:
    compute.galleries.begin_create_or_update(rg, "fixed", gallery_body()).result()
    compute.gallery_images.begin_create_or_update(
        rg, "fixed", "img", image_body(hyperVGeneration="V2")
    ).result()
    changed = image_body(**{"hyperVGeneration": "V2", field: value})
    error = error_of(
        lambda: compute.gallery_images.begin_create_or_update(rg, "fixed", "img", changed)
    )
    assert (error.status_code, error.error.code) == (409, "PropertyChangeNotAllowed")
    assert field in error.error.message


def test_definition_features_update_with_allow_update_image(compute, rg: str) -> None:
    compute.galleries.begin_create_or_update(rg, "feat", gallery_body()).result()
    compute.gallery_images.begin_create_or_update(
        rg, "feat", "img", image_body(hyperVGeneration="V2")
    ).result()
    allowed = image_body(
        hyperVGeneration="V2",
        allowUpdateImage=True,
        features=[{"name": "SecurityType", "value": "TrustedLaunchSupported"}],
    )
    result = compute.gallery_images.begin_create_or_update(rg, "feat", "img", allowed).result()
    assert result.properties.features[0].value == "TrustedLaunchSupported"


@pytest.mark.parametrize("missing", ["osType", "osState", "identifier"])
def test_definition_required_properties(compute, rg: str, arm: Arm, missing: str) -> None:
    compute.galleries.begin_create_or_update(rg, "req", gallery_body()).result()
    body = image_body()
    del body["properties"][missing]
    status, answer, _ = arm.call("PUT", arm.gallery_path(rg, "req") + "/images/img", body)
    assert status == 400 and answer["error"]["code"] == "InvalidParameter"
    assert missing in answer["error"]["message"]


def test_definition_needs_its_gallery(compute, rg: str) -> None:
    error = error_of(
        lambda: compute.gallery_images.begin_create_or_update(rg, "nogallery", "img", image_body())
    )
    assert (error.status_code, error.error.code) == (404, "ParentResourceNotFound")


def test_missing_gallery_reads_as_not_found(compute, rg: str) -> None:
    with pytest.raises(HttpResponseError) as caught:
        compute.galleries.get(rg, "absent")
    assert caught.value.status_code == 404
    assert caught.value.error.code == "ResourceNotFound"
