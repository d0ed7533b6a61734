#!/usr/bin/python
# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_build
short_description: Build an image from an Azure VM Image Builder template, declaratively
version_added: 1.0.0
description:
  - Makes sure the current definition of an image template has been built.
  - With O(state=succeeded), when the last build of the template succeeded and the template was
    not changed after it, nothing happens; otherwise the module starts a build and waits for it.
    A build that is already running is waited for rather than started again.
  - With O(state=started) the module returns once Azure has accepted the build.
  - With O(state=canceled) a running build is canceled.
  - A template that does not exist fails the task, naming it. In check mode it is taken as one
    an earlier M(goldenimage.azure.image_template) task would create, and a build is predicted
    (V(changed), with a message saying so).
  - While waiting, the controller prints a line whenever the build's phase changes, and every
    O(progress_interval) seconds otherwise (C(golden-ubuntu, Customizing, 12m10s)), in
    C(ansible-playbook) and AWX job output alike.
  - A failed build fails the task with the phase it failed in, Azure's message, the
    provisioning error code and, when the staging storage answers, the last lines of
    C(customization.log).
author:
  - goldenimage.azure contributors (@goldenimage)
options:
  name:
    description:
      - Name of the image template.
    type: str
    required: true
  resource_group:
    description:
      - Resource group of the image template.
    type: str
    required: true
  state:
    description:
      - V(succeeded) builds when the current definition has no successful build, and waits.
      - V(started) starts a build like V(succeeded) does, but does not wait for it.
      - V(canceled) cancels a running build and waits until Azure reports it canceled.
    type: str
    default: succeeded
    choices: [succeeded, started, canceled]
  force:
    description:
      - Start a new build even when the current definition was already built (for example to
        pick up a newer C(latest) source image). Fails while a build runs.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for the build at most. On timeout the module fails with the phase the
        build reached, leaving it running unless O(cancel_on_timeout=true).
    type: int
    default: 14400
  cancel_on_timeout:
    description:
      - Cancel the build when O(wait_timeout) passes.
    type: bool
    default: false
  fetch_log:
    description:
      - On failure, read the tail of C(customization.log) from the staging storage account
        (with the module's identity) and add it to the error.
    type: bool
    default: true
  progress_interval:
    description:
      - Seconds between progress lines while the phase does not change.
    type: int
    default: 60
  resume:
    description:
      - Set by the image_build action plugin between the short module runs it makes while
        printing progress; leave it unset.
      - With it the module never starts a build when O(resume.follow=true), and returns with the
        time of the next read as soon as there is a line to print.
    type: dict
    suboptions:
      elapsed:
        description: Seconds waited so far.
        type: float
        required: true
      follow:
        description: Follow the running or last build instead of deciding whether to start one.
        type: bool
        default: false
      phase:
        description: The phase the controller printed last; the module returns when it changes.
        type: str
notes:
  - Reads back off with the time already waited, and never undercut Azure's C(Retry-After).
    After five minutes a build costs at most one request a minute.
  - Whether the definition was built is judged from the template's last run status and its
    last modification time, so a template patched after its last build is built again.
  - The action plugin runs the module in steps that end when there is a line to print; each
    step authenticates again, so a larger O(progress_interval) means fewer steps.
extends_documentation_fragment:
  - goldenimage.azure.auth
  - goldenimage.azure.attributes
  - goldenimage.azure.attributes.ACTIONS
attributes:
  action:
    description: Runs on the controller through an action plugin that prints progress.
    support: full
  async:
    description: Progress is printed by the action plugin; use O(state=started) instead of C(async).
    support: none
  diff_mode:
    support: none
    details: A build changes no definition; there is nothing to diff.
seealso:
  - module: goldenimage.azure.image_template
  - module: goldenimage.azure.image_template_info
  - name: Troubleshoot Azure VM Image Builder
    description: Reading customization.log and the common failures.
    link: https://learn.microsoft.com/azure/virtual-machines/linux/image-builder-troubleshoot
requirements:
  - python >= 3.10
  - azure-identity
  - azure-mgmt-core
"""

EXAMPLES = r"""
- name: Build the image unless this definition was built already
  goldenimage.azure.image_build:
    name: golden-ubuntu
    resource_group: rg-images
    wait_timeout: 7200
    cancel_on_timeout: true
  register: build

- name: Show the gallery image version the build made
  ansible.builtin.debug:
    msg: "{{ build.build.run_outputs.gallery.artifact_id }}"

- name: Rebuild to pick up the newest source image, without waiting
  goldenimage.azure.image_build:
    name: golden-ubuntu
    resource_group: rg-images
    force: true
    state: started

- name: Cancel a running build
  goldenimage.azure.image_build:
    name: golden-ubuntu
    resource_group: rg-images
    state: canceled
"""

RETURN = r"""
build:
  description: The last build of the template.
  returned: always
  type: dict
  contains:
    run_state:
      description: C(Running), C(Canceling), C(Succeeded), C(PartiallySucceeded), C(Failed) or C(Canceled).
      type: str
      returned: always
    run_sub_state:
      description: Phase of the build (C(Queued), C(Building), C(Customizing), C(Optimizing), C(Validating), C(Distributing)).
      type: str
      returned: always
    phase:
      description: The sub-state while running, the run state once finished.
      type: str
      returned: always
    finished:
      description: Whether the build has ended.
      type: bool
      returned: always
    message:
      description: Azure's message about the build.
      type: str
      returned: always
    start_time:
      description: When the build started (UTC).
      type: str
      returned: always
    end_time:
      description: When the build ended (UTC).
      type: str
      returned: always
    duration:
      description: Seconds the build took, once it ended.
      type: float
      returned: always
    run_outputs:
      description: Outputs by run output name, each with C(artifact_id), C(artifact_uri) and C(provisioning_state).
      type: dict
      returned: always
    exact_version:
      description: The source version the build used (C(latest) resolved).
      type: str
      returned: always
    staging_resource_group:
      description: Resource group the build ran in.
      type: str
      returned: always
  sample:
    run_state: Succeeded
    run_sub_state: Distributing
    phase: Succeeded
    finished: true
    duration: 2510.0
    run_outputs:
      gallery:
        artifact_id: /subscriptions/0000/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/contoso_images/images/ubuntu/versions/1.0.4
        artifact_uri: null
        provisioning_state: Succeeded
    exact_version: 24.04.202511010
elapsed:
  description: Seconds the module and the action plugin waited.
  returned: always
  type: float
timed_out:
  description: Set when O(wait_timeout) passed before the build ended.
  returned: on timeout
  type: bool
log_tail:
  description: Last lines of C(customization.log), when a failed build's log could be read.
  returned: on build failure
  type: list
  elements: str
"""

from ansible_collections.goldenimage.azure.plugins.module_utils._build_runner import (  # noqa: E402
    BUILD_ARGUMENT_SPEC,
    run_image_build,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule  # noqa: E402


def main() -> None:
    module = AzureModule(BUILD_ARGUMENT_SPEC, result_key="build")
    module.validate_wait_timeout()
    run_image_build(module)


if __name__ == "__main__":
    main()
