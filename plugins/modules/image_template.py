#!/usr/bin/python
# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_template
short_description: Create, update, replace and delete Azure VM Image Builder templates
version_added: 1.0.0
description:
  - Keeps an Azure VM Image Builder image template in the state you describe.
  - Azure cannot update most of a template in place. Only O(identity), O(tags), O(distribute)
    and O(vm_profile) can be changed on an existing template; the module changes them with a
    PATCH. Any other difference is applied by deleting the template and creating it again
    (O(replace=auto)), or refused with the differences named (O(replace=never)).
  - The options describe the whole definition; an option you leave out means Azure's default.
    O(tags) follow O(purge_tags) and are left alone when not set.
  - Every rule the module can check (one of inline or script URI per script, http(s) script and
    file URIs, checksums, unique step and run output names, the build timeout range, exactly one
    identity, the shape of a gallery image version source, virtual network options) is checked
    before any request, and the error names the option. A region the subscription does not
    offer (O(location), a distribution target's regions) is refused before any write.
  - A template is never changed while a build of it runs; the module fails, or cancels the build
    first with O(cancel_running_build=true).
  - The module reads the template once; when nothing differs it sends nothing else. The
    resource group is read only when a template is created without O(location).
  - Use M(goldenimage.azure.image_build) to build the image.
author:
  - goldenimage.azure contributors (@goldenimage)
options:
  name:
    description:
      - Name of the image template; 1 to 64 letters, digits, hyphens, underscores and periods.
    type: str
    required: true
  resource_group:
    description:
      - Resource group of the image template.
    type: str
    required: true
  state:
    description:
      - V(present) creates, updates or replaces the template; V(absent) deletes it.
    type: str
    default: present
    choices: [present, absent]
  location:
    description:
      - Region of the template. A new template is created in its resource group's region when
        not set; an existing one keeps its region.
      - A different region for an existing template replaces it.
      - A region the subscription does not offer is refused before any write.
    type: str
  identity:
    description:
      - Resource id of the one user-assigned managed identity the service builds as
        (C(/subscriptions/.../providers/Microsoft.ManagedIdentity/userAssignedIdentities/NAME)).
        Two ids, joined or as a list, are refused.
      - Required with O(state=present). It needs rights to read the source and write the
        distribution targets.
    type: str
  source:
    description:
      - The image to start from. Required with O(state=present) unless O(template) is set.
    type: dict
    suboptions:
      type:
        description:
          - V(platform_image) is an Azure Marketplace image, V(managed_image) a managed image,
            V(shared_image_version) an Azure Compute Gallery image version.
        type: str
        required: true
        choices: [platform_image, managed_image, shared_image_version]
      publisher:
        description: Publisher of the platform image.
        type: str
      offer:
        description: Offer of the platform image.
        type: str
      sku:
        description: SKU of the platform image.
        type: str
      version:
        description:
          - Version of the platform image; V(latest) is resolved when each build starts.
        type: str
        default: latest
      plan_info:
        description: Purchase plan of a Marketplace image that has one.
        type: dict
        suboptions:
          plan_name:
            description: Name of the plan.
            type: str
            required: true
          plan_product:
            description: Product of the plan.
            type: str
            required: true
          plan_publisher:
            description: Publisher of the plan.
            type: str
            required: true
      image_id:
        description: Resource id of the managed image, with O(source.type=managed_image).
        type: str
      image_version_id:
        description:
          - Resource id of the gallery image version, with O(source.type=shared_image_version),
            in the form
            C(/subscriptions/.../providers/Microsoft.Compute/galleries/GALLERY/images/DEFINITION/versions/X.Y.Z)
            or the C(.../locations/REGION/sharedGalleries/...) id of a gallery shared directly
            with the subscription. Any other id is refused before any request.
          - A version name of C(latest) is resolved when each build starts.
        type: str
  customize:
    description:
      - Customization steps, run in order on the build VM.
    type: list
    elements: dict
    suboptions:
      type:
        description: Kind of step.
        type: str
        required: true
        choices: [shell, powershell, file, windows_restart, windows_update]
      name:
        description: Name of the step, unique within O(customize).
        type: str
      script_uri:
        description:
          - URI of the script to run (V(shell), V(powershell)), an C(http://) or C(https://)
            URL. Exactly one of this and O(customize[].inline).
        type: str
      inline:
        description: Commands to run (V(shell), V(powershell)).
        type: list
        elements: str
      sha256_checksum:
        description: SHA-256 of the file at the script or source URI, 64 hexadecimal digits.
        type: str
      run_elevated:
        description: Run the PowerShell script elevated.
        type: bool
      run_as_system:
        description: Run the elevated PowerShell script as Local System; needs O(customize[].run_elevated).
        type: bool
      valid_exit_codes:
        description: Exit codes of the PowerShell script that mean success.
        type: list
        elements: int
      source_uri:
        description: URI of the file to copy to the build VM (V(file)), an C(http://) or C(https://) URL.
        type: str
      destination:
        description: Absolute path on the build VM to copy the file to (V(file)).
        type: str
      restart_command:
        description: Command that restarts Windows (V(windows_restart)).
        type: str
      restart_check_command:
        description: Command that checks the restart succeeded (V(windows_restart)).
        type: str
      restart_timeout:
        description: How long to wait for the restart, for example C(10m) (V(windows_restart)).
        type: str
      search_criteria:
        description: Windows Update search criteria (V(windows_update)).
        type: str
      filters:
        description: Windows Update filters (V(windows_update)).
        type: list
        elements: str
      update_limit:
        description: Largest number of updates applied at a time (V(windows_update)).
        type: int
  validate:
    description: Validation of the image before it is distributed.
    type: dict
    suboptions:
      continue_distribute_on_failure:
        description: Distribute the image even when a validation fails (the build still fails).
        type: bool
      source_validation_only:
        description: Validate the source image itself, without building a customized one.
        type: bool
      in_vm_validations:
        description: Validation steps run on a VM of the image.
        type: list
        elements: dict
        suboptions:
          type:
            description: Kind of step.
            type: str
            required: true
            choices: [shell, powershell, file]
          name:
            description: Name of the step, unique within the validations.
            type: str
          script_uri:
            description: URI of the script to run. Exactly one of this and the inline commands.
            type: str
          inline:
            description: Commands to run.
            type: list
            elements: str
          sha256_checksum:
            description: SHA-256 of the file at the script or source URI.
            type: str
          run_elevated:
            description: Run the PowerShell script elevated.
            type: bool
          run_as_system:
            description: Run the elevated PowerShell script as Local System.
            type: bool
          valid_exit_codes:
            description: Exit codes of the PowerShell script that mean success.
            type: list
            elements: int
          source_uri:
            description: URI of the file to copy (V(file)).
            type: str
          destination:
            description: Absolute path to copy the file to (V(file)).
            type: str
  optimize:
    description: Optimizations applied to the image.
    type: dict
    suboptions:
      vm_boot:
        description: Optimize the image for a faster VM boot.
        type: bool
      workload:
        description: Optimize the image for a workload.
        type: dict
        suboptions:
          enabled:
            description: Whether workload optimization is on.
            type: bool
          script_uri:
            description: URI of the optimization script.
            type: str
          sha256_checksum:
            description: SHA-256 of the optimization script.
            type: str
  error_handling:
    description: What happens to the build VM when a step fails.
    type: dict
    suboptions:
      on_customizer_error:
        description: V(cleanup) removes the build VM (Azure's default), V(abort) keeps it for troubleshooting.
        type: str
        choices: [cleanup, abort]
      on_validation_error:
        description: V(cleanup) removes the validation VM (Azure's default), V(abort) keeps it.
        type: str
        choices: [cleanup, abort]
  distribute:
    description:
      - Where the image goes. Required with O(state=present) unless O(template) is set.
      - Changing it patches the template.
    type: list
    elements: dict
    suboptions:
      type:
        description: Kind of target.
        type: str
        required: true
        choices: [managed_image, shared_image, vhd]
      run_output_name:
        description: Name of the build's output for this target; unique, 1 to 64 letters, digits, C(-), C(_), C(.).
        type: str
        required: true
      artifact_tags:
        description: Tags put on the image the build creates.
        type: dict
      image_id:
        description: Resource id of the managed image to create (V(managed_image)).
        type: str
      location:
        description: Region of the managed image (V(managed_image)).
        type: str
      gallery_image_id:
        description:
          - Resource id of the gallery image definition (V(shared_image)); ending in
            C(/versions/X.Y.Z) names the version to create.
        type: str
      target_regions:
        description: Regions to replicate the image version to (V(shared_image)).
        type: list
        elements: dict
        suboptions:
          name:
            description: Region name.
            type: str
            required: true
          replica_count:
            description: Number of replicas in the region (Azure's default is 1).
            type: int
          storage_account_type:
            description: Storage of the replicas (Azure's default is V(Standard_LRS)).
            type: str
            choices: [Standard_LRS, Standard_ZRS, Premium_LRS]
      replication_regions:
        description: Deprecated by Azure in favour of O(distribute[].target_regions); not with it.
        type: list
        elements: str
      storage_account_type:
        description: Storage for O(distribute[].replication_regions) only.
        type: str
        choices: [Standard_LRS, Standard_ZRS, Premium_LRS]
      exclude_from_latest:
        description: Keep the new version out of C(latest).
        type: bool
      versioning:
        description: How the new version is numbered when O(distribute[].gallery_image_id) names no version.
        type: dict
        suboptions:
          scheme:
            description: V(latest) takes the next patch number, V(source) the source image's version.
            type: str
            required: true
            choices: [latest, source]
          major:
            description: With V(latest), the major version to number within.
            type: int
      replication_mode:
        description: V(full) (Azure's default) or V(shallow) replication.
        type: str
        choices: [full, shallow]
      uri:
        description: Blob URI for the VHD (V(vhd)); the staging storage account when not set.
        type: str
  vm_profile:
    description:
      - The build VM. Changing it patches the template.
    type: dict
    suboptions:
      vm_size:
        description: Size of the build VM.
        type: str
      os_disk_size_gb:
        description: OS disk size in GB; Azure's default when not set.
        type: int
      user_assigned_identities:
        description: Identities given to the build VM.
        type: list
        elements: str
      vnet_config:
        description: Virtual network of the build VM.
        type: dict
        suboptions:
          subnet_id:
            description: Subnet of the build VM.
            type: str
          container_instance_subnet_id:
            description: Subnet for the isolated-build container instance; needs O(vm_profile.vnet_config.subnet_id).
            type: str
          proxy_vm_size:
            description: Size of the proxy VM; not with O(vm_profile.vnet_config.container_instance_subnet_id).
            type: str
  build_timeout:
    description: Minutes a build may take, 0 to 960; 0 or not set means Azure's default of 4 hours.
    type: int
  staging_resource_group:
    description: Name or resource id of the resource group the build uses; Azure makes one when not set.
    type: str
  auto_run:
    description: Whether Azure builds the image when the template is created or updated.
    type: bool
  managed_resource_tags:
    description: Tags on the resources Azure creates for builds.
    type: dict
  additional_data_disks:
    description: Data disks added to the image.
    type: list
    elements: dict
    suboptions:
      size_gb:
        description: Size of the disk in GB.
        type: int
        required: true
  template:
    description:
      - The template's ARM C(properties), verbatim, for fields newer than this module.
      - Replaces O(source), O(customize), O(validate), O(optimize), O(error_handling),
        O(distribute), O(vm_profile), O(build_timeout), O(staging_resource_group), O(auto_run),
        O(managed_resource_tags) and O(additional_data_disks); the same rules, comparison and
        update strategy apply, and errors name the key under C(template).
    type: dict
  replace:
    description:
      - V(auto) deletes and recreates the template when a field Azure cannot update differs.
      - V(never) fails instead, naming the fields; changes Azure can patch are still made.
    type: str
    default: auto
    choices: [auto, never]
  cancel_running_build:
    description:
      - Cancel a running build of the template before changing or deleting it. Without it the
        module fails while a build runs.
    type: bool
    default: false
notes:
  - Replacing a template deletes it first and always waits for the deletion; O(wait=false) only
    leaves the creation running. A replaced template has no build history and no triggers;
    recreate them with M(goldenimage.azure.image_template_trigger) after it.
  - Region names, resource ids and lists without order (distribution targets, regions) are
    compared the way Azure treats them; defaults Azure fills in do not count as differences.
extends_documentation_fragment:
  - goldenimage.azure.auth
  - goldenimage.azure.wait
  - goldenimage.azure.tags
  - goldenimage.azure.attributes
  - goldenimage.azure.attributes.ACTIONS
seealso:
  - module: goldenimage.azure.image_template_info
  - module: goldenimage.azure.image_build
  - module: goldenimage.azure.image_template_trigger
  - module: goldenimage.azure.gallery_image
  - name: Azure VM Image Builder template reference
    description: Every field of an image template.
    link: https://learn.microsoft.com/azure/virtual-machines/linux/image-builder-json
  - name: Image Builder permissions
    description: What the template's identity needs.
    link: https://learn.microsoft.com/azure/virtual-machines/linux/image-builder-permissions-cli
requirements:
  - python >= 3.10
  - azure-identity
  - azure-mgmt-core
"""

EXAMPLES = r"""
- name: An Ubuntu image, customized and published to a gallery and as a VHD
  goldenimage.azure.image_template:
    name: golden-ubuntu
    resource_group: rg-images
    identity: "{{ builder_identity_id }}"
    source:
      type: platform_image
      publisher: Canonical
      offer: ubuntu-24_04-lts
      sku: server
    customize:
      - type: shell
        name: patch
        inline:
          - sudo apt-get update && sudo apt-get -y upgrade
    distribute:
      - type: shared_image
        run_output_name: gallery
        gallery_image_id: "{{ gallery_image_id }}"
        target_regions:
          - name: eastus
          - name: westeurope
            replica_count: 2
      - type: vhd
        run_output_name: vhd
    vm_profile:
      vm_size: Standard_D2s_v3
    build_timeout: 120
    tags:
      owner: platform-team

- name: Refuse to replace the template if the change needs it
  goldenimage.azure.image_template:
    name: golden-ubuntu
    resource_group: rg-images
    identity: "{{ builder_identity_id }}"
    template: "{{ lookup('ansible.builtin.file', 'golden-ubuntu.json') | from_json }}"
    replace: never

- name: Delete the template, canceling a build that is running
  goldenimage.azure.image_template:
    name: golden-ubuntu
    resource_group: rg-images
    state: absent
    cancel_running_build: true
"""

RETURN = r"""
image_template:
  description:
    - The template as Azure returns it, with keys named after the options; empty when it does
      not exist. In check mode, the template as it would be; fields only Azure knows (status,
      staging resource group) are then unknown for a new or replaced template.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id of the template.
      type: str
      returned: when the template exists
    name:
      description: Name of the template.
      type: str
      returned: when the template exists
    resource_group:
      description: Resource group of the template.
      type: str
      returned: when the template exists
    location:
      description: Region of the template.
      type: str
      returned: when the template exists
    identity:
      description: Resource id of the template's user-assigned identity.
      type: str
      returned: when the template exists
    tags:
      description: Tags of the template.
      type: dict
      returned: when the template exists
    source:
      description: The source image, with C(exact_version) once a build resolved C(latest).
      type: dict
      returned: when the template exists
    customize:
      description: Customization steps.
      type: list
      elements: dict
      returned: when set
    distribute:
      description: Distribution targets.
      type: list
      elements: dict
      returned: when the template exists
    provisioning_state:
      description: Provisioning state of the template.
      type: str
      returned: when the template exists
    provisioning_error:
      description: Why provisioning failed (C(provisioning_error_code), C(message)).
      type: dict
      returned: when the template exists
    last_run_status:
      description: The last build (C(run_state), C(run_sub_state), C(start_time), C(end_time), C(message)).
      type: dict
      returned: when the template exists
    exact_staging_resource_group:
      description: The staging resource group the builds use.
      type: str
      returned: when the template exists
    definition_built:
      description: Whether the last build succeeded and the template was not changed since.
      type: bool
      returned: when the template exists
  sample:
    id: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-images/providers/Microsoft.VirtualMachineImages/imageTemplates/golden-ubuntu
    name: golden-ubuntu
    resource_group: rg-images
    location: eastus
    provisioning_state: Succeeded
    definition_built: false
action:
  description: What the module did or, in check mode, would do.
  returned: always
  type: str
  choices: [none, create, update, replace, delete]
  sample: update
changes:
  description: Top-level fields that differ (for example C(tags) or C(properties.customize)).
  returned: always
  type: list
  elements: str
  sample: [properties.distribute]
"""

from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule  # noqa: E402
from ansible_collections.goldenimage.azure.plugins.module_utils._template_args import (  # noqa: E402
    TEMPLATE_ARGUMENT_SPEC,
    TEMPLATE_MUTUALLY_EXCLUSIVE,
    TEMPLATE_REQUIRED_IF,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._template_runner import (  # noqa: E402
    run_image_template,
)


def main() -> None:
    module = AzureModule(
        TEMPLATE_ARGUMENT_SPEC,
        wait=True,
        tags=True,
        result_key="image_template",
        mutually_exclusive=TEMPLATE_MUTUALLY_EXCLUSIVE,
        required_if=TEMPLATE_REQUIRED_IF,
    )
    run_image_template(module)


if __name__ == "__main__":
    main()
