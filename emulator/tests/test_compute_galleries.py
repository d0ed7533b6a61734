"""Galleries and image definitions through the unpatched azure-mgmt-compute client and plain
HTTPS (older api-versions, paging)."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from test_compute_support import Arm, error_of, gallery_body, image_body


@pytest.fixture
def arm(azsim: dict[str, Any], credential: Any, arm_settings: dict[str, Any]) -> Arm:
    return Arm(azsim, credential, arm_settings)


def test_gallery_lifecycle(compute_client: Any, resource_group: str, arm: Arm) -> None:
    created = compute_client.galleries.begin_create_or_update(
        resource_group, "gal_1", gallery_body(description="first", tags={"team": "a"})
    ).result()
    assert created.properties.provisioning_state == "Succeeded"
    assert created.properties.identifier.unique_name.endswith("-GAL_1")
    assert created.tags == {"team": "a"}

    updated = compute_client.galleries.begin_update(
        resource_group, "gal_1", {"properties": {"description": "second"}, "tags": {"team": "b"}}
    ).result()
    assert updated.properties.description == "second"
    assert updated.tags == {"team": "b"}
    fetched = compute_client.galleries.get(resource_group, "gal_1")
    assert fetched.properties.description == "second"

    assert [g.name for g in compute_client.galleries.list_by_resource_group(resource_group)] == [
        "gal_1"
    ]
    assert "gal_1" in {g.name for g in compute_client.galleries.list()}

    compute_client.galleries.begin_delete(resource_group, "gal_1").result()
    with pytest.raises(ResourceNotFoundError):
        compute_client.galleries.get(resource_group, "gal_1")


def test_gallery_write_is_long_running(resource_group: str, arm: Arm) -> None:
    status, body, headers = arm.call("PUT", arm.gallery_path(resource_group, "lro"), gallery_body())
    assert status == 201
    assert body["properties"]["provisioningState"] == "Creating"
    assert "Azure-AsyncOperation" in headers
    assert int(headers["Retry-After"]) >= 1
    arm.advance(60)
    status, body, _ = arm.call("GET", arm.gallery_path(resource_group, "lro"))
    assert body["properties"]["provisioningState"] == "Succeeded"


@pytest.mark.parametrize("name", ["_bad", "bad-", "bad.", "a" * 81])
def test_gallery_name_rule(compute_client: Any, resource_group: str, name: str) -> None:
    error = error_of(
        lambda: compute_client.galleries.begin_create_or_update(
            resource_group, name, gallery_body()
        )
    )
    assert (error.status_code, error.error.code) == (400, "InvalidParameter")
    assert "galleryName" in error.error.message


def test_gallery_lists_page_through_next_link(resource_group: str, arm: Arm) -> None:
    for index in range(3):
        arm.call("PUT", arm.gallery_path(resource_group, f"page{index}"), gallery_body())
    status, first, _ = arm.call("GET", arm.gallery_path(resource_group, ""), query={"$top": "2"})
    assert status == 200 and len(first["value"]) == 2 and first["nextLink"]
    second = arm.get_url(first["nextLink"])
    assert [g["name"] for g in first["value"] + second["value"]] == ["page0", "page1", "page2"]
    assert "nextLink" not in second


@pytest.mark.parametrize("api_version", ["2019-03-01", "2021-10-01", "2022-03-03", "2025-03-03"])
def test_gallery_older_api_versions(resource_group: str, arm: Arm, api_version: str) -> None:
    path = arm.gallery_path(resource_group, "old" + api_version.replace("-", ""))
    status, body, _ = arm.call("PUT", path, gallery_body(), api_version=api_version)
    assert status == 201
    arm.advance(60)
    status, body, _ = arm.call("GET", path, api_version=api_version)
    assert body["properties"]["provisioningState"] == "Succeeded"


def test_existing_resources_cannot_move_region(compute_client: Any, resource_group: str) -> None:
    compute_client.galleries.begin_create_or_update(resource_group, "here", gallery_body()).result()
    error = error_of(
        lambda: compute_client.galleries.begin_create_or_update(
            resource_group, "here", gallery_body(location="westus")
        )
    )
    assert (error.status_code, error.error.code) == (409, "InvalidResourceLocation")


def test_gallery_unknown_api_version(resource_group: str, arm: Arm) -> None:
    status, body, _ = arm.call(
        "PUT", arm.gallery_path(resource_group, "x"), gallery_body(), api_version="2018-06-01"
    )
    assert status == 400
    assert body["error"]["code"] == "NoRegisteredProviderFound"


def test_gallery_with_definitions_cannot_be_deleted(
    compute_client: Any, resource_group: str
) -> None:
    compute_client.galleries.begin_create_or_update(
        resource_group, "holder", gallery_body()
    ).result()
    compute_client.gallery_images.begin_create_or_update(
        resource_group, "holder", "img", image_body()
    ).result()
    error = error_of(lambda: compute_client.galleries.begin_delete(resource_group, "holder"))
    assert (error.status_code, error.error.code) == (409, "CannotDeleteResource")
    assert "holder/images/img" in error.error.message
    compute_client.gallery_images.begin_delete(resource_group, "holder", "img").result()
    compute_client.galleries.begin_delete(resource_group, "holder").result()


def test_share_action_and_sharing_profile_views(compute_client: Any, resource_group: str) -> None:
    compute_client.galleries.begin_create_or_update(
        resource_group, "shared", gallery_body(sharingProfile={"permissions": "Groups"})
    ).result()
    result = compute_client.gallery_sharing_profile.begin_update(
        resource_group,
        "shared",
        {"operationType": "Add", "groups": [{"type": "Subscriptions", "ids": ["sub-a", "sub-b"]}]},
    ).result()
    assert result.operation_type == "Add"
    plain = compute_client.galleries.get(resource_group, "shared", select="Permissions")
    assert plain.properties.sharing_profile.permissions == "Groups"
    assert not plain.properties.sharing_profile.groups
    expanded = compute_client.galleries.get(
        resource_group, "shared", expand="SharingProfile/Groups"
    )
    assert [(g.type, g.ids) for g in expanded.properties.sharing_profile.groups] == [
        ("Subscriptions", ["sub-a", "sub-b"])
    ]
    # Neither a PUT nor a PATCH of the gallery changes who it is shared with.
    put_again = gallery_body(description="kept", sharingProfile={"permissions": "Groups"})
    compute_client.galleries.begin_create_or_update(resource_group, "shared", put_again).result()
    compute_client.galleries.begin_update(resource_group, "shared", {"tags": {"a": "b"}}).result()
    expanded = compute_client.galleries.get(
        resource_group, "shared", expand="SharingProfile/Groups"
    )
    assert expanded.properties.sharing_profile.groups[0].ids == ["sub-a", "sub-b"]
    compute_client.gallery_sharing_profile.begin_update(
        resource_group,
        "shared",
        {"operationType": "Remove", "groups": [{"type": "Subscriptions", "ids": ["sub-a"]}]},
    ).result()
    expanded = compute_client.galleries.get(
        resource_group, "shared", expand="SharingProfile/Groups"
    )
    assert expanded.properties.sharing_profile.groups[0].ids == ["sub-b"]
    # Still shared with sub-b: a PUT cannot make it Private; only the Reset action can.
    error = error_of(
        lambda: compute_client.galleries.begin_create_or_update(
            resource_group, "shared", gallery_body(sharingProfile={"permissions": "Private"})
        )
    )
    assert (error.status_code, error.error.code) == (409, "OperationNotAllowed")
    compute_client.gallery_sharing_profile.begin_update(
        resource_group, "shared", {"operationType": "Reset"}
    ).result()
    reset = compute_client.galleries.get(resource_group, "shared", expand="SharingProfile/Groups")
    assert reset.properties.sharing_profile.permissions == "Private"


def test_share_action_refused_on_private_gallery(compute_client: Any, resource_group: str) -> None:
    compute_client.galleries.begin_create_or_update(
        resource_group, "private", gallery_body()
    ).result()
    error = error_of(
        lambda: compute_client.gallery_sharing_profile.begin_update(
            resource_group,
            "private",
            {"operationType": "Add", "groups": [{"type": "AADTenants", "ids": ["t"]}]},
        )
    )
    assert (error.status_code, error.error.code) == (409, "OperationNotAllowed")


def test_community_gallery(compute_client: Any, resource_group: str) -> None:
    info = {
        "publisherUri": "https://contoso.example",
        "publisherContact": "images@contoso.example",
        "eula": "https://contoso.example/eula",
        "publicNamePrefix": "contoso",
    }
    compute_client.galleries.begin_create_or_update(
        resource_group,
        "community",
        gallery_body(sharingProfile={"permissions": "Community", "communityGalleryInfo": info}),
    ).result()
    compute_client.gallery_sharing_profile.begin_update(
        resource_group, "community", {"operationType": "EnableCommunity"}
    ).result()
    gallery = compute_client.galleries.get(resource_group, "community")
    community = gallery.properties.sharing_profile.community_gallery_info
    assert community.community_gallery_enabled is True
    assert community.public_names[0].startswith("contoso-")
    # Writing the gallery again keeps its public names, as Azure does.
    again = compute_client.galleries.begin_create_or_update(
        resource_group,
        "community",
        gallery_body(
            description="again",
            sharingProfile={"permissions": "Community", "communityGalleryInfo": info},
        ),
    ).result()
    kept = again.properties.sharing_profile.community_gallery_info
    assert kept.public_names == community.public_names
    assert (
        compute_client.galleries.get(
            resource_group, "community"
        ).properties.sharing_profile.community_gallery_info.public_names
        == community.public_names
    )
    error = error_of(
        lambda: compute_client.galleries.begin_create_or_update(
            resource_group, "community2", gallery_body(sharingProfile={"permissions": "Community"})
        )
    )
    assert error.error.code == "InvalidParameter"


# ---------------------------------------------------------------- image definitions


def test_definition_lifecycle_with_every_property(compute_client: Any, resource_group: str) -> None:
    compute_client.galleries.begin_create_or_update(resource_group, "defs", gallery_body()).result()
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
    created = compute_client.gallery_images.begin_create_or_update(
        resource_group, "defs", "ubuntu", body
    ).result()
    props = created.properties
    assert props.provisioning_state == "Succeeded"
    assert (props.identifier.publisher, props.identifier.offer, props.identifier.sku) == (
        "Contoso", "Base", "ubuntu")  # fmt: skip
    assert props.recommended["vCPUs"]["max"] == 16 and props.disallowed.disk_types == [
        "Standard_LRS"
    ]
    assert props.purchase_plan.product == "base"
    assert {f.name for f in props.features} >= {"SecurityType", "IsHibernateSupported"}

    updated = compute_client.gallery_images.begin_update(
        resource_group,
        "defs",
        "ubuntu",
        {"properties": {"description": "changed"}, "tags": {"x": "y"}},
    ).result()
    assert updated.properties.description == "changed" and updated.tags == {"x": "y"}
    assert [
        i.name for i in compute_client.gallery_images.list_by_gallery(resource_group, "defs")
    ] == ["ubuntu"]
    compute_client.gallery_images.begin_delete(resource_group, "defs", "ubuntu").result()
    with pytest.raises(ResourceNotFoundError):
        compute_client.gallery_images.get(resource_group, "defs", "ubuntu")


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
def test_definition_fixed_properties(
    compute_client: Any, resource_group: str, field: str, value: object
) -> None:
    compute_client.galleries.begin_create_or_update(
        resource_group, "fixed", gallery_body()
    ).result()
    compute_client.gallery_images.begin_create_or_update(
        resource_group, "fixed", "img", image_body(hyperVGeneration="V2")
    ).result()
    changed = image_body(**{"hyperVGeneration": "V2", field: value})
    error = error_of(
        lambda: compute_client.gallery_images.begin_create_or_update(
            resource_group, "fixed", "img", changed
        )
    )
    assert (error.status_code, error.error.code) == (409, "PropertyChangeNotAllowed")
    assert field in error.error.message


def test_definition_features_update_with_allow_update_image(
    compute_client: Any, resource_group: str
) -> None:
    compute_client.galleries.begin_create_or_update(resource_group, "feat", gallery_body()).result()
    compute_client.gallery_images.begin_create_or_update(
        resource_group, "feat", "img", image_body(hyperVGeneration="V2")
    ).result()
    allowed = image_body(
        hyperVGeneration="V2",
        allowUpdateImage=True,
        features=[{"name": "SecurityType", "value": "TrustedLaunchSupported"}],
    )
    result = compute_client.gallery_images.begin_create_or_update(
        resource_group, "feat", "img", allowed
    ).result()
    assert result.properties.features[0].value == "TrustedLaunchSupported"


@pytest.mark.parametrize("missing", ["osType", "osState", "identifier"])
def test_definition_required_properties(
    compute_client: Any, resource_group: str, arm: Arm, missing: str
) -> None:
    compute_client.galleries.begin_create_or_update(resource_group, "req", gallery_body()).result()
    body = image_body()
    del body["properties"][missing]
    status, answer, _ = arm.call(
        "PUT", arm.gallery_path(resource_group, "req") + "/images/img", body
    )
    assert status == 400 and answer["error"]["code"] == "InvalidParameter"
    assert missing in answer["error"]["message"]


def test_definition_needs_its_gallery(compute_client: Any, resource_group: str) -> None:
    error = error_of(
        lambda: compute_client.gallery_images.begin_create_or_update(
            resource_group, "nogallery", "img", image_body()
        )
    )
    assert (error.status_code, error.error.code) == (404, "ParentResourceNotFound")


def test_missing_gallery_reads_as_not_found(compute_client: Any, resource_group: str) -> None:
    with pytest.raises(HttpResponseError) as caught:
        compute_client.galleries.get(resource_group, "absent")
    assert caught.value.status_code == 404
    assert caught.value.error.code == "ResourceNotFound"
