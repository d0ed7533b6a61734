#!/usr/bin/python
# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_template_info
short_description: List Azure VM Image Builder templates with their builds and triggers
version_added: 1.0.0
description:
  - Returns one image template, the templates of a resource group, or every template of the
    subscription, each with the status of its last build, the outputs of that build (artifact
    ids and URIs per run output name) and, on request, its source-image triggers.
  - The result is always a list, empty when nothing matches. Errors (for example missing
    permissions) fail the task; they are never reported as an empty list.
author:
  - goldenimage.azure contributors (@goldenimage)
options:
  name:
    description:
      - Name of the template to return.
      - Without O(resource_group), every resource group of the subscription is searched.
    type: str
  resource_group:
    description:
      - Only return templates of this resource group.
    type: str
  include_run_outputs:
    description:
      - Read the outputs of the last build of each template that has been built (one request
        per such template).
    type: bool
    default: true
  include_triggers:
    description:
      - Read the triggers of each template (one request per template).
    type: bool
    default: false
extends_documentation_fragment:
  - goldenimage.azure.auth
  - goldenimage.azure.attributes
  - goldenimage.azure.attributes.INFO_MODULE
seealso:
  - module: goldenimage.azure.image_template
  - module: goldenimage.azure.image_build
  - module: goldenimage.azure.image_template_trigger
  - name: Azure VM Image Builder overview
    description: How templates, builds and run outputs fit together.
    link: https://learn.microsoft.com/azure/virtual-machines/image-builder-overview
requirements:
  - python >= 3.10
  - azure-identity
  - azure-mgmt-core
"""

EXAMPLES = r"""
- name: Read one template with its last build
  goldenimage.azure.image_template_info:
    name: golden-ubuntu
    resource_group: rg-images
  register: found

- name: Show the gallery version the last build made
  ansible.builtin.debug:
    msg: "{{ found.image_templates[0].run_outputs.gallery.artifact_id }}"
  when: found.image_templates | length > 0 and found.image_templates[0].run_outputs.gallery is defined

- name: Read one template with its source-image triggers
  goldenimage.azure.image_template_info:
    name: golden-ubuntu
    resource_group: rg-images
    include_triggers: true

- name: List every template of the subscription, without the extra reads
  goldenimage.azure.image_template_info:
    include_run_outputs: false
"""

RETURN = r"""
image_templates:
  description:
    - The matching templates with keys named after the options of M(goldenimage.azure.image_template).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Resource id of the template.
      type: str
      returned: always
    name:
      description: Name of the template.
      type: str
      returned: always
    resource_group:
      description: Resource group of the template.
      type: str
      returned: always
    last_run_status:
      description: The last build (C(run_state), C(run_sub_state), C(start_time), C(end_time), C(message)); V(null) before the first build.
      type: dict
      returned: always
    definition_built:
      description: Whether the last build succeeded and the template was not changed since.
      type: bool
      returned: always
    run_outputs:
      description: Outputs of the last build by run output name, each with C(artifact_id), C(artifact_uri) and C(provisioning_state).
      type: dict
      returned: when O(include_run_outputs=true)
    triggers:
      description: Source-image triggers, each with C(name), C(kind), C(provisioning_state) and C(status) (C(code), C(message), C(time)).
      type: list
      elements: dict
      returned: when O(include_triggers=true)
  sample:
    - id: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-images/providers/Microsoft.VirtualMachineImages/imageTemplates/golden-ubuntu
      name: golden-ubuntu
      resource_group: rg-images
      definition_built: true
      last_run_status: {run_state: Succeeded, run_sub_state: Distributing}
      run_outputs:
        vhd: {artifact_id: null, artifact_uri: "https://example.blob.core.windows.net/vhds/golden.vhd", provisioning_state: Succeeded}
"""

from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule  # noqa: E402
from ansible_collections.goldenimage.azure.plugins.module_utils._template_info import (  # noqa: E402
    TEMPLATE_INFO_ARGUMENT_SPEC,
    run_image_template_info,
)


def main() -> None:
    module = AzureModule(TEMPLATE_INFO_ARGUMENT_SPEC, result_key="image_templates")
    run_image_template_info(module)


if __name__ == "__main__":
    main()
