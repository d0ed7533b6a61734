"""What consumers read of shared galleries: community galleries by public name and galleries
shared with their subscription, through the unpatched azure-mgmt-compute client."""

from __future__ import annotations

from typing import Any

import pytest
from test_compute_support import Arm, error_of, gallery_body, image_body, seeded_image, version_body

COMMUNITY_INFO = {
    "publisherUri": "https://contoso.example",
    "publisherContact": "images@contoso.example",
    "eula": "https://contoso.example/eula",
    "publicNamePrefix": "contoso",
}


@pytest.fixture
def arm(azsim: dict[str, Any], credential: Any, arm_settings: dict[str, Any]) -> Arm:
    return Arm(azsim, credential, arm_settings)


def fill_gallery(
    compute_client: Any, resource_group: str, arm: Arm, gallery: str, sharing: dict
) -> None:
    """A gallery with one definition and one version (from a seeded managed image)."""
    compute_client.galleries.begin_create_or_update(
        resource_group, gallery, gallery_body(sharingProfile=sharing)
    ).result()
    compute_client.gallery_images.begin_create_or_update(
        resource_group, gallery, "linux", image_body(hyperVGeneration="V2")
    ).result()
    image_id = f"{arm.group_path(resource_group)}/providers/Microsoft.Compute/images/{gallery}src"
    arm.seed([{"id": image_id, "body": seeded_image(image_id)}])
    poller = compute_client.gallery_image_versions.begin_create_or_update(
        resource_group, gallery, "linux", "1.0.0", version_body(image_id)
    )
    arm.advance(3600)
    poller.result()


def test_community_gallery_is_readable_by_public_name(
    compute_client: Any, resource_group: str, arm: Arm
) -> None:
    fill_gallery(
        compute_client,
        resource_group,
        arm,
        "pub",
        {"permissions": "Community", "communityGalleryInfo": COMMUNITY_INFO},
    )
    error = error_of(lambda: compute_client.community_galleries.get("eastus", "contoso-unknown"))
    assert error.status_code == 404
    compute_client.gallery_sharing_profile.begin_update(
        resource_group, "pub", {"operationType": "EnableCommunity"}
    ).result()
    public_name = compute_client.galleries.get(
        resource_group, "pub"
    ).properties.sharing_profile.community_gallery_info.public_names[0]

    community = compute_client.community_galleries.get("eastus", public_name)
    assert community.identifier.unique_id == f"/CommunityGalleries/{public_name}"
    assert community.properties.community_metadata.publisher_contact == "images@contoso.example"
    images = list(compute_client.community_gallery_images.list("eastus", public_name))
    assert [i.name for i in images] == ["linux"]
    assert images[0].properties.hyper_v_generation == "V2"
    versions = list(
        compute_client.community_gallery_image_versions.list("eastus", public_name, "linux")
    )
    assert [v.name for v in versions] == ["1.0.0"]
    version = compute_client.community_gallery_image_versions.get(
        "eastus", public_name, "linux", "1.0.0"
    )
    assert version.properties.storage_profile.os_disk_image.disk_size_gb == 30
    assert version.identifier.unique_id.endswith("/Images/linux/Versions/1.0.0")


def test_gallery_shared_with_a_subscription(
    compute_client: Any, resource_group: str, arm: Arm
) -> None:
    fill_gallery(compute_client, resource_group, arm, "grp", {"permissions": "Groups"})
    unique_name = compute_client.galleries.get(
        resource_group, "grp"
    ).properties.identifier.unique_name
    assert unique_name not in {g.name for g in compute_client.shared_galleries.list("eastus")}
    error = error_of(lambda: compute_client.shared_galleries.get("eastus", unique_name))
    assert error.status_code == 404

    compute_client.gallery_sharing_profile.begin_update(
        resource_group, "grp",
        {"operationType": "Add", "groups": [{"type": "Subscriptions", "ids": [arm.subscription_id]}]},
    ).result()  # fmt: skip
    assert unique_name in {g.name for g in compute_client.shared_galleries.list("eastus")}
    shared = compute_client.shared_galleries.get("eastus", unique_name)
    assert shared.identifier.unique_id == f"/SharedGalleries/{unique_name}"
    image = compute_client.shared_gallery_images.get("eastus", unique_name, "linux")
    assert image.properties.identifier.sku == "ubuntu"
    versions = list(
        compute_client.shared_gallery_image_versions.list("eastus", unique_name, "linux")
    )
    assert [v.name for v in versions] == ["1.0.0"]
    assert versions[0].properties.exclude_from_latest is False

    compute_client.gallery_sharing_profile.begin_update(
        resource_group, "grp", {"operationType": "Reset"}
    ).result()
    assert unique_name not in {g.name for g in compute_client.shared_galleries.list("eastus")}
