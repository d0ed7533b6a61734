#!/usr/bin/python
# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_template_trigger
short_description: Create and delete source-image triggers of Azure VM Image Builder templates
version_added: 1.0.0
description:
  - Keeps a trigger of an image template present or absent. A C(SourceImage) trigger makes
    Azure build the template whenever a newer version of its C(latest) source image appears.
  - Azure accepts the trigger only when the template's source follows C(latest) (a platform image
    with version C(latest), or a gallery image version id ending in C(/versions/latest)) and the
    template does not distribute to an explicit gallery image version.
  - Azure deactivates a trigger whose builds keep failing. The module reports it
    (RV(trigger.active) is V(false), RV(trigger.status) says why) and warns; with
    O(recreate_inactive=true) it deletes and recreates the trigger to activate it again.
  - The module reads the trigger once; when nothing differs it sends nothing else.
author:
  - goldenimage.azure contributors (@goldenimage)
options:
  name:
    description:
      - Name of the trigger; 1 to 64 letters, digits, hyphens, underscores and periods.
    type: str
    required: true
  template_name:
    description:
      - Name of the image template.
    type: str
    required: true
  resource_group:
    description:
      - Resource group of the image template.
    type: str
    required: true
  kind:
    description:
      - Kind of trigger. A different kind for an existing trigger recreates it.
    type: str
    default: SourceImage
    choices: [SourceImage]
  state:
    description:
      - V(present) creates the trigger; V(absent) deletes it.
    type: str
    default: present
    choices: [present, absent]
  recreate_inactive:
    description:
      - Delete and recreate a trigger the service deactivated.
    type: bool
    default: false
notes:
  - Recreating always waits for the deletion; O(wait=false) only leaves the creation running.
extends_documentation_fragment:
  - goldenimage.azure.auth
  - goldenimage.azure.wait
  - goldenimage.azure.attributes
  - goldenimage.azure.attributes.ACTIONS
attributes:
  diff_mode:
    support: none
    details: A trigger has no fields to diff; RV(action) says what changes.
seealso:
  - module: goldenimage.azure.image_template
  - module: goldenimage.azure.image_template_info
  - name: Image Builder triggers
    description: Automatic builds when a newer source image appears.
    link: https://learn.microsoft.com/azure/virtual-machines/image-builder-triggers-how-to
requirements:
  - python >= 3.10
  - azure-identity
  - azure-mgmt-core
"""

EXAMPLES = r"""
- name: Build golden-ubuntu whenever a newer Ubuntu image is published
  goldenimage.azure.image_template_trigger:
    name: source-changed
    template_name: golden-ubuntu
    resource_group: rg-images

- name: Reactivate the trigger if the service turned it off
  goldenimage.azure.image_template_trigger:
    name: source-changed
    template_name: golden-ubuntu
    resource_group: rg-images
    recreate_inactive: true

- name: Remove the trigger
  goldenimage.azure.image_template_trigger:
    name: source-changed
    template_name: golden-ubuntu
    resource_group: rg-images
    state: absent
"""

RETURN = r"""
trigger:
  description: The trigger; empty when it does not exist.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id of the trigger.
      type: str
      returned: when the trigger exists
    name:
      description: Name of the trigger.
      type: str
      returned: when the trigger exists
    kind:
      description: Kind of the trigger.
      type: str
      returned: when the trigger exists
    provisioning_state:
      description: Provisioning state of the trigger.
      type: str
      returned: when the trigger exists
    active:
      description: Whether the trigger is active (its status code is C(Healthy)).
      type: bool
      returned: when the trigger exists
    status:
      description: The service's status of the trigger (C(code), C(message), C(time)).
      type: dict
      returned: when the trigger exists
  sample:
    id: /subscriptions/0000/resourceGroups/rg-images/providers/Microsoft.VirtualMachineImages/imageTemplates/golden-ubuntu/triggers/source-changed
    name: source-changed
    kind: SourceImage
    provisioning_state: Succeeded
    active: true
    status: {code: Healthy, message: Trigger is active., time: "2026-01-01T00:00:00Z"}
action:
  description: What the module did or, in check mode, would do.
  returned: always
  type: str
  choices: [none, create, delete, recreate]
  sample: create
"""

from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule  # noqa: E402
from ansible_collections.goldenimage.azure.plugins.module_utils._template_trigger import (  # noqa: E402
    TRIGGER_ARGUMENT_SPEC,
    run_template_trigger,
)


def main() -> None:
    module = AzureModule(TRIGGER_ARGUMENT_SPEC, wait=True, result_key="trigger")
    run_template_trigger(module)


if __name__ == "__main__":
    main()
