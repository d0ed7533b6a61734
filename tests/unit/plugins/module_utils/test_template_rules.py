# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image template rules added for bad input: http(s) URIs, the shape of a gallery image
version source, one identity id, and the regions a template names."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils._template_model import (
    OptionNamer,
    TemplateOptionError,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._template_rules import (
    regions_of_template,
    validate_identity,
    validate_properties,
)

SUB = "00000000-0000-0000-0000-000000000001"
RG = f"/subscriptions/{SUB}/resourceGroups/images"
IDENTITY = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/builder"
VERSIONS = f"{RG}/providers/Microsoft.Compute/galleries/gal/images/ubuntu/versions"
SHARED = f"/subscriptions/{SUB}/providers/Microsoft.Compute/locations/eastus/sharedGalleries"


def properties(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source": {"type": "PlatformImage", "publisher": "p", "offer": "o", "sku": "s"},
        "customize": [{"type": "Shell", "name": "s", "inline": ["true"]}],
        "distribute": [{"type": "VHD", "runOutputName": "vhd"}],
    }
    body["source"]["version"] = "latest"
    body.update(changes)
    return body


def problem(props: dict[str, Any], raw: bool = False) -> str:
    with pytest.raises(TemplateOptionError) as failure:
        validate_properties(props, OptionNamer(raw=raw))
    return str(failure.value)


@pytest.mark.parametrize(
    ("step", "option"),
    [
        ({"type": "Shell", "scriptUri": "ftp://x/s.sh"}, "customize[0].script_uri"),
        ({"type": "PowerShell", "scriptUri": "C:\\s.ps1"}, "customize[0].script_uri"),
        ({"type": "Shell", "scriptUri": "https://"}, "customize[0].script_uri"),
        (
            {"type": "File", "sourceUri": "/etc/hosts", "destination": "/x"},
            "customize[0].source_uri",
        ),
    ],
)
def test_script_and_file_uris_must_be_http_urls(step: dict[str, Any], option: str) -> None:
    message = problem(properties(customize=[{"name": "s", **step}]))
    assert message.startswith(f"{option}: ") and "http:// or https://" in message


def test_validator_and_workload_uris_are_checked_too() -> None:
    bad = {"type": "Shell", "name": "v", "scriptUri": "s.sh"}
    assert problem(properties(validate={"inVMValidations": [bad]})).startswith(
        "validate.in_vm_validations[0].script_uri: "
    )
    workload = {"workload": {"state": "Enabled", "scriptUri": "s3://bucket/s"}}
    assert problem(properties(optimize=workload)).startswith("optimize.workload.script_uri: ")


@pytest.mark.parametrize("uri", ["https://example.com/s.sh", "HTTP://host:8080/a?sas=1"])
def test_http_and_https_uris_pass(uri: str) -> None:
    validate_properties(properties(customize=[{"type": "Shell", "name": "s", "scriptUri": uri}]))


@pytest.mark.parametrize(
    "version_id",
    [
        f"{VERSIONS}/1.0.0",
        f"{VERSIONS}/latest",
        f"{VERSIONS.lower()}/10.20.30",
        f"{SHARED}/uniq-gal/images/ubuntu/versions/1.2.3",
    ],
)
def test_gallery_image_version_ids_pass(version_id: str) -> None:
    source = {"type": "SharedImageVersion", "imageVersionId": version_id}
    validate_properties(properties(source=source))


@pytest.mark.parametrize(
    "version_id",
    [
        f"{RG}/providers/Microsoft.Compute/images/managed",
        f"{VERSIONS}/1.0",
        f"{VERSIONS}",
        f"{VERSIONS}/1.0.0/extra",
        "ubuntu/1.0.0",
    ],
)
def test_other_ids_as_a_version_source_fail_naming_the_option(version_id: str) -> None:
    source = {"type": "SharedImageVersion", "imageVersionId": version_id}
    assert problem(properties(source=source)).startswith("source.image_version_id: ")
    assert problem(properties(source=source), raw=True).startswith(
        "template.source.imageVersionId: "
    )


def test_identity_is_one_user_assigned_identity_id() -> None:
    validate_identity(IDENTITY)
    validate_identity(IDENTITY.lower())


@pytest.mark.parametrize(
    ("identity", "needle"),
    [
        (f"{IDENTITY},{IDENTITY}", "exactly one user-assigned identity, got 2"),
        (str([IDENTITY, IDENTITY]), "exactly one user-assigned identity, got 2"),
        ([IDENTITY, IDENTITY], "exactly one user-assigned identity, got 2"),
        (f"{IDENTITY}/extra", "is not a user-assigned identity resource id"),
        ("builder", "is not a user-assigned identity resource id"),
        (f" {IDENTITY} x", "is not a user-assigned identity resource id"),
    ],
)
def test_anything_but_one_identity_id_fails_naming_identity(identity: Any, needle: str) -> None:
    with pytest.raises(TemplateOptionError, match="^identity: ") as failure:
        validate_identity(identity)
    assert needle in str(failure.value)


def test_regions_of_a_template_name_their_options() -> None:
    distribute = [
        {"type": "VHD", "runOutputName": "vhd"},
        {"type": "ManagedImage", "runOutputName": "mi", "imageId": "x", "location": "westus"},
        {
            "type": "SharedImage",
            "runOutputName": "sig",
            "galleryImageId": "g",
            "targetRegions": [{"name": "eastus"}, {"name": "East US 2", "replicaCount": 2}],
        },
        {"type": "SharedImage", "runOutputName": "old", "replicationRegions": ["northeurope"]},
    ]
    assert regions_of_template("eastus", {"distribute": distribute}) == [
        ("location", "eastus"),
        ("distribute[1].location", "westus"),
        ("distribute[2].target_regions[0].name", "eastus"),
        ("distribute[2].target_regions[1].name", "East US 2"),
        ("distribute[3].replication_regions[0]", "northeurope"),
    ]
    raw = regions_of_template(None, {"distribute": distribute[1:2]}, OptionNamer(raw=True))
    assert raw == [("template.distribute[0].location", "westus")]
    assert regions_of_template(None, {}) == []
