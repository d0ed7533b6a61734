#!/usr/bin/python
# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: gallery_image_version
short_description: Publish, replicate, update and delete Azure Compute Gallery image versions
version_added: 1.0.0
description:
  - Keeps one version of a gallery image definition in the state you describe, that is where it is
    replicated, how many replicas each region holds, whether C(latest) may resolve to it, its
    end of life and its safety flags.
  - A version is made from exactly one OS source, which is a managed image, a virtual machine, another
    gallery image version (in any gallery and subscription), or an OS disk given as a managed
    disk, a snapshot or a VHD blob, optionally with data disks.
  - Before any write the module checks what Azure would refuse, and fails naming the option
    without sending a write request. The source must exist, fit the definition (OS type and
    state, Hyper-V generation, architecture, security type) and its region must be one of the
    target regions.
  - Azure changes target regions, replica counts, exclusion from latest, end of life, safety
    flags and tags in place. It cannot change the source, the replication mode or a region's
    storage account type or encryption; asking for that fails and lists each field with its
    current and requested value.
  - With O(name=auto) the module picks the next version name after the highest existing one
    according to O(version_bump). When a version built from the same source already exists,
    that version is the one managed, so re-running the task changes nothing.
  - The module reads the definition and the version once; when nothing differs (and replication
    has finished, or O(wait=false)) it reports no change and sends nothing else.
author:
  - goldenimage.azure contributors (@goldenimage)
options:
  name:
    description:
      - Name of the version, V(Major.Minor.Patch), each part a whole number up to 2147483647.
      - V(auto) numbers a new version automatically (see O(version_bump)); it needs an OS source.
    type: str
    required: true
  gallery_name:
    description:
      - Name of the gallery.
    type: str
    required: true
  gallery_image_name:
    description:
      - Name of the image definition the version belongs to. It must exist.
    type: str
    required: true
  resource_group:
    description:
      - Resource group of the gallery. Sources given by name are looked up here too.
    type: str
    required: true
  version_bump:
    description:
      - How O(name=auto) numbers a new version after the highest existing one.
      - V(patch), V(minor) and V(major) increase that part (and reset the lower ones); the first
        version is V(1.0.0).
      - V(date) gives V(YYYY.MMDD.N), counting V(N) from 0 within a day (UTC); it never goes below
        the highest existing version.
    type: str
    default: patch
    choices: [patch, minor, major, date]
  managed_image:
    description:
      - A managed image as the source, by resource id, by name in O(resource_group), or as a
        dictionary with C(name), C(resource_group) and C(subscription_id).
      - Mutually exclusive with the other OS sources.
    type: raw
  virtual_machine:
    description:
      - A virtual machine to capture, by resource id, name or dictionary (as O(managed_image)).
      - A generalized VM fits a generalized definition, a specialized VM a specialized one.
    type: raw
  source_image_version:
    description:
      - Another gallery image version to copy, by resource id, as V(gallery/image/version) in
        O(resource_group), or as a dictionary with C(gallery), C(image), C(version),
        C(resource_group) and C(subscription_id).
    type: raw
  os_disk:
    description:
      - An OS disk as the source, given by exactly one of O(os_disk.disk), O(os_disk.snapshot) or
        O(os_disk.vhd_uri).
    type: dict
    suboptions:
      disk:
        description: A managed disk, by resource id, name or dictionary.
        type: raw
      snapshot:
        description: A snapshot, by resource id, name or dictionary.
        type: raw
      vhd_uri:
        description: HTTPS URI of a VHD blob; needs O(os_disk.storage_account).
        type: str
      storage_account:
        description: The storage account that holds the VHD, by resource id, name or dictionary.
        type: raw
      host_caching:
        description: Host caching of the disk.
        type: str
        choices: [None, ReadOnly, ReadWrite]
  data_disks:
    description:
      - Data disks that accompany O(os_disk), each with a unique O(data_disks[].lun) and one of
        O(data_disks[].disk), O(data_disks[].snapshot) or O(data_disks[].vhd_uri).
    type: list
    elements: dict
    suboptions:
      lun:
        description: Logical unit number of the disk.
        type: int
        required: true
      disk:
        description: A managed disk, by resource id, name or dictionary.
        type: raw
      snapshot:
        description: A snapshot, by resource id, name or dictionary.
        type: raw
      vhd_uri:
        description: HTTPS URI of a VHD blob; needs O(data_disks[].storage_account).
        type: str
      storage_account:
        description: The storage account that holds the VHD.
        type: raw
      host_caching:
        description: Host caching of the disk.
        type: str
        choices: [None, ReadOnly, ReadWrite]
  target_regions:
    description:
      - Every region the version is replicated to. Regions not listed are removed (unless
        O(allow_deletion_of_replicated_locations=false) was set on the version, which is an error).
      - Each item is a region in the az CLI form V(eastus), V(eastus=2) or V(eastus=2=Standard_ZRS),
        or a dictionary with C(name), C(replica_count), C(storage_account_type),
        C(exclude_from_latest) and C(encryption).
      - C(encryption) holds C(os_disk) (C(disk_encryption_set), C(confidential_vm_encryption_type),
        C(secure_vm_disk_encryption_set)) and C(data_disks) (a list of C(lun) and
        C(disk_encryption_set)).
      - Region names compare without case or spaces; listing a region twice is an error, and a
        region the subscription does not offer is refused before any write.
      - When not set, a new version goes to the gallery's region (and the source's region, when
        that differs) and an existing version keeps its regions.
    type: list
    elements: raw
  replica_count:
    description:
      - Replicas per region where a region does not give its own count (1 to 100).
    type: int
  storage_account_type:
    description:
      - Storage account type of the replicas where a region does not give its own. Cannot change.
    type: str
    choices: [Standard_LRS, Standard_ZRS, Premium_LRS, PremiumV2_LRS]
  replication_mode:
    description:
      - V(Shallow) keeps the version in the source region only (for testing); V(Full) replicates.
        Cannot change.
    type: str
    choices: [Full, Shallow]
  exclude_from_latest:
    description:
      - Whether C(latest) skips this version. A target region's own C(exclude_from_latest) wins
        for that region.
    type: bool
  end_of_life_date:
    description:
      - End of life of the version, an ISO 8601 date or date and time (UTC when no offset is given).
    type: str
  allow_deletion_of_replicated_locations:
    description:
      - Whether regions may be removed from the version.
    type: bool
  block_deletion_before_end_of_life:
    description:
      - Whether Azure refuses to delete the version before its end of life.
    type: bool
  wait_for_replication:
    description:
      - With O(wait=true), what to wait for after the write, which is replication to V(all) target regions,
        to the V(source_region) only, or V(none) (provisioning only).
      - On timeout the module fails with the replication state of every region.
    type: str
    default: all
    choices: [all, source_region, none]
  force:
    description:
      - With O(state=absent), lift O(block_deletion_before_end_of_life) first when it blocks
        the deletion. Without it such a version is not deleted and the module fails.
    type: bool
    default: false
  state:
    description:
      - V(present) creates or updates the version; V(absent) deletes it.
    type: str
    default: present
    choices: [present, absent]
notes:
  - Every write is a long-running operation in Azure; replication to many regions can take
    hours. Use O(wait=false) or O(wait_for_replication=source_region) to return sooner and
    M(goldenimage.azure.gallery_image_version_info) to follow progress.
extends_documentation_fragment:
  - goldenimage.azure.auth
  - goldenimage.azure.wait
  - goldenimage.azure.tags
  - goldenimage.azure.attributes
  - goldenimage.azure.attributes.ACTIONS
seealso:
  - module: goldenimage.azure.gallery_image_version_info
  - module: goldenimage.azure.gallery_image
  - module: goldenimage.azure.gallery
  - name: Create an image version
    description: Sources, target regions and replication of gallery image versions.
    link: https://learn.microsoft.com/azure/virtual-machines/image-version
  - name: az sig image-version
    description: The Azure CLI commands for image versions, whose region shorthand this module accepts.
    link: https://learn.microsoft.com/cli/azure/sig/image-version
requirements:
  - python >= 3.10
  - azure-identity
  - azure-mgmt-core
"""

EXAMPLES = r"""
- name: Publish version 1.0.0 from a managed image to two regions
  goldenimage.azure.gallery_image_version:
    name: 1.0.0
    gallery_name: contoso_images
    gallery_image_name: ubuntu-24
    resource_group: rg-images
    managed_image: ubuntu-24-build-17
    target_regions:
      - eastus=2=Standard_ZRS
      - westeurope

- name: Publish the next patch version from a snapshot, returning once the source region has it
  goldenimage.azure.gallery_image_version:
    name: auto
    version_bump: patch
    gallery_name: contoso_images
    gallery_image_name: ubuntu-24
    resource_group: rg-images
    os_disk:
      snapshot: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-build/providers/Microsoft.Compute/snapshots/os-17
    wait_for_replication: source_region
  register: published

- name: Copy a version from a gallery in another subscription, hidden from latest
  goldenimage.azure.gallery_image_version:
    name: 2.1.0
    gallery_name: contoso_images
    gallery_image_name: ubuntu-24
    resource_group: rg-images
    source_image_version:
      subscription_id: 11111111-2222-3333-4444-555555555555
      resource_group: rg-shared
      gallery: partner_images
      image: ubuntu-24
      version: 2.1.0
    exclude_from_latest: true

- name: Add a region and raise the replica count in East US
  goldenimage.azure.gallery_image_version:
    name: 1.0.0
    gallery_name: contoso_images
    gallery_image_name: ubuntu-24
    resource_group: rg-images
    target_regions:
      - name: eastus
        replica_count: 3
      - westeurope
      - northeurope

- name: Delete a version, lifting its deletion block
  goldenimage.azure.gallery_image_version:
    name: 0.9.0
    gallery_name: contoso_images
    gallery_image_name: ubuntu-24
    resource_group: rg-images
    state: absent
    force: true
"""

RETURN = r"""
gallery_image_version:
  description:
    - The version as Azure returns it (in check mode, as it will be), with snake_case keys and
      the ARM C(properties) flattened. V(null) with O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: Resource id of the version.
      type: str
      returned: always
    name:
      description: Name of the version.
      type: str
      returned: always
    location:
      description: Region of the gallery.
      type: str
      returned: always
    tags:
      description: Tags of the version.
      type: dict
      returned: always
    provisioning_state:
      description: Provisioning state; V(Creating) or V(Updating) in check mode or with O(wait=false).
      type: str
      returned: always
    publishing_profile:
      description: Target regions, replica counts, storage type, replication mode, exclusion and dates.
      type: dict
      returned: always
    storage_profile:
      description: The source and the OS and data disk images.
      type: dict
      returned: always
    safety_profile:
      description: The deletion safety flags.
      type: dict
      returned: when set
    replication:
      description: Replication state per region, after a wait or when Azure reported it.
      type: dict
      returned: when known
      contains:
        aggregated_state:
          description: V(Completed), V(InProgress), V(Failed) or V(Unknown).
          type: str
        regions:
          description: Per region C(region), C(state), C(progress) (percent) and C(details).
          type: list
          elements: dict
version_name:
  description: The version's name; with O(name=auto) the name chosen or found.
  returned: always
  type: str
  sample: 1.0.3
conflicts:
  description: Fields Azure cannot change, with current and requested values, when the module refuses.
  returned: on failure because of an unchangeable field
  type: list
  elements: dict
option:
  description: The option that was refused, when the module fails before any request.
  returned: on failure because of an invalid option
  type: str
timed_out:
  description: True when the wait for replication timed out; RV(gallery_image_version) holds the last state seen.
  returned: on timeout
  type: bool
"""

from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule  # noqa: E402
from ansible_collections.goldenimage.azure.plugins.module_utils._version_runner import (  # noqa: E402
    RESULT_KEY,
    VERSION_SPEC,
    run_version,
)


def main() -> None:
    module = AzureModule(
        VERSION_SPEC,
        wait=True,
        tags=True,
        result_key=RESULT_KEY,
        mutually_exclusive=[
            ("managed_image", "virtual_machine", "source_image_version", "os_disk")
        ],
    )
    run_version(module)


if __name__ == "__main__":
    main()
