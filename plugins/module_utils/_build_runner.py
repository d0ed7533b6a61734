# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image_build state machine: decide, start or cancel, then wait within a deadline.

The module either waits itself, or (driven by the image_build action plugin, which prints
progress on the controller) reads the build once per call and says when to read again; the
plugin passes ``resume`` so the deadline and the back-off carry across calls.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, NoReturn

from ansible_collections.goldenimage.azure.plugins.module_utils._build_progress import (
    FINISHED_STATES,
    SUCCEEDED_STATES,
    PollPolicy,
    build_result,
    definition_has_successful_run,
    failure_message,
    is_running,
    log_tail,
    phase,
    run_state,
    timeout_message,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._imagebuilder_api import (
    ImageBuilderApi,
    template_label,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule
from ansible_collections.goldenimage.azure.plugins.module_utils._template_model import (
    TemplateOptionError,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._template_rules import (
    validate_name,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._waiter import parse_retry_after

DEFAULT_BUILD_WAIT_TIMEOUT = 4 * 3600
LOG_LOCATION = re.compile(r"Image Build log location: (https://\S+?)\.?(?:\s|$)")
STORAGE_SCOPE = "https://storage.azure.com/.default"
BLOB_API_VERSION = "2021-12-02"

BUILD_ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "name": {"type": "str", "required": True},
    "resource_group": {"type": "str", "required": True},
    "state": {
        "type": "str",
        "default": "succeeded",
        "choices": ["succeeded", "started", "canceled"],
    },
    "force": {"type": "bool", "default": False},
    "wait_timeout": {"type": "int", "default": DEFAULT_BUILD_WAIT_TIMEOUT},
    "cancel_on_timeout": {"type": "bool", "default": False},
    "fetch_log": {"type": "bool", "default": True},
    "progress_interval": {"type": "int", "default": 60},
    "resume": {
        "type": "dict",
        "options": {
            "elapsed": {"type": "float", "required": True},
            "follow": {"type": "bool", "default": False},
            "phase": {"type": "str"},
        },
    },
}


@dataclass(frozen=True)
class BuildDecision:
    """What to do first: ``none``, ``start``, ``follow`` (wait for a running build), ``cancel``."""

    action: str
    refusal: str | None = None

    @property
    def changes(self) -> bool:
        return self.action in ("start", "cancel")


def decide(template: dict[str, Any], state: str, force: bool, follow: bool) -> BuildDecision:
    """The first step for ``state``; never starts a second build next to a running one."""
    running = is_running(template)
    if state == "canceled":
        return BuildDecision("cancel" if running else "none")
    if follow:
        return BuildDecision("follow")
    if running:
        if force:
            name = template.get("name")
            return BuildDecision(
                "none", f"A build of {name} is running; force=true cannot start another beside it."
            )
        return BuildDecision("follow")
    if force or not definition_has_successful_run(template):
        return BuildDecision("start")
    return BuildDecision("none")


def run_image_build(module: AzureModule) -> NoReturn:
    params = module.params
    name, resource_group = params["name"], params["resource_group"]
    try:
        validate_name("name", name)
    except TemplateOptionError as error:
        module.fail(f"Invalid {error.option}: {error.problem}.")
    api = ImageBuilderApi(module.arm, module.subscription_id)
    runner = _BuildRun(module, api, name, resource_group)
    try:
        runner.run()
    except Exception as exc:  # fail_from translates and reports every error once
        module.fail_from(exc, verb="build", resource=template_label(resource_group, name))
    raise AssertionError("the build runner always exits")  # pragma: no cover


class _BuildRun:
    def __init__(self, module: AzureModule, api: ImageBuilderApi, name: str, group: str) -> None:
        self.module = module
        self.api = api
        self.name = name
        self.group = group
        params = module.params
        resume = params.get("resume") or {}
        self.resumed = bool(params.get("resume"))
        self.elapsed_before = float(resume.get("elapsed", 0.0))
        self.follow = bool(resume.get("follow", False))
        self.reported_phase = resume.get("phase")
        self.started_at = time.monotonic()
        self.policy = PollPolicy()
        self.changed = False
        self.retry_after: float | None = None

    # --- timing ------------------------------------------------------------------------------

    def elapsed(self) -> float:
        return self.elapsed_before + time.monotonic() - self.started_at

    def remaining(self) -> float:
        return float(self.module.params["wait_timeout"]) - self.elapsed()

    # --- flow --------------------------------------------------------------------------------

    def run(self) -> NoReturn:
        params = self.module.params
        template = self.api.get_template(self.group, self.name)
        if template is None:
            if self.module.check_mode:
                self.predict_for_missing_template()
            self.fail_missing()
        decision = decide(template, params["state"], params["force"], self.follow)
        if decision.refusal:
            self.module.fail(decision.refusal, build=build_result(template))
        if self.module.check_mode:
            finished = not decision.changes and not is_running(template)
            self.exit(template, changed=decision.changes, finished=finished)
        if decision.action == "none" and params["state"] == "canceled":
            self.exit(template, finished=True)
        if decision.action == "start":
            self.start()
            template = self.read()
        elif decision.action == "cancel":
            self.api.cancel_run(self.group, self.name)
            self.changed = True
            template = self.read()
        elif decision.action == "none":
            self.finish(template)
        if params["state"] == "started":
            self.exit(template, finished=not is_running(template))
        self.wait(template)

    def predict_for_missing_template(self) -> NoReturn:
        """Check mode for a template an earlier task (image_template, also in check mode) would
        create: predict the build its real run starts, instead of failing on the absent template."""
        builds = self.module.params["state"] != "canceled"  # a new template runs no build
        self.module.exit(
            builds,
            {**build_result({}), "finished": not builds},
            elapsed=0.0,
            msg=f"Image template {self.name} does not exist in resource group {self.group} yet; "
            + (
                "a build would start once it is created (check mode)."
                if builds
                else "no build of it can be running (check mode)."
            ),
        )

    def read(self) -> dict[str, Any]:
        template = self.api.get_template(self.group, self.name)
        if template is None:
            self.fail_missing()
        return template

    def fail_missing(self) -> NoReturn:
        self.module.fail(
            f"Image template {self.name} does not exist in resource group {self.group}; "
            "create it with goldenimage.azure.image_template first."
        )

    def start(self) -> None:
        response = self.api.start_run(self.group, self.name)
        headers = getattr(getattr(response, "http_response", None), "headers", None) or {}
        self.retry_after = parse_retry_after(headers.get("Retry-After"))
        self.changed = True

    def wait(self, template: dict[str, Any]) -> NoReturn:
        """Read until the build ends or the deadline passes.

        When resumed, also return as soon as there is something to print: a phase other than
        the one the controller printed last, or a heartbeat due before the next read.
        """
        interval = float(self.module.params["progress_interval"])
        while is_running(template):
            delay = self.policy.delay(self.elapsed(), self.retry_after, self.remaining())
            self.retry_after = None
            if self.remaining() <= 0:
                self.time_out(template)
            in_this_run = time.monotonic() - self.started_at
            if self.resumed and (
                phase(template) != self.reported_phase or in_this_run + delay > interval
            ):
                self.exit(template, finished=False, next_poll=delay)
            time.sleep(delay)
            template = self.read()
        self.finish(template)

    def time_out(self, template: dict[str, Any]) -> NoReturn:
        canceled = bool(self.module.params["cancel_on_timeout"])
        message = timeout_message(self.name, template, self.elapsed(), canceled)
        if canceled:
            self.api.cancel_run(self.group, self.name)
            self.changed = True
            template = self.read()
        self.module.fail(
            message, changed=self.changed, timed_out=True, build=build_result(template)
        )

    def finish(self, template: dict[str, Any]) -> NoReturn:
        state = run_state(template)
        if state in FINISHED_STATES and state not in SUCCEEDED_STATES:
            if self.module.params["state"] == "canceled" and state == "Canceled":
                self.exit(template, finished=True)
            lines = self.log_lines(template) if self.module.params["fetch_log"] else []
            outputs = self.api.list_run_outputs(self.group, self.name)
            self.module.fail(
                failure_message(self.name, template, lines),
                changed=self.changed,
                build=build_result(template, outputs),
                log_tail=lines,
            )
        self.exit(template, finished=True, outputs=True)

    def exit(
        self,
        template: dict[str, Any],
        *,
        finished: bool,
        changed: bool | None = None,
        next_poll: float | None = None,
        outputs: bool = False,
    ) -> NoReturn:
        run_outputs = self.api.list_run_outputs(self.group, self.name) if outputs else None
        build = build_result(template, run_outputs)
        build["finished"] = finished
        if next_poll is not None:
            build["next_poll_seconds"] = round(next_poll, 3)
        self.module.exit(
            self.changed if changed is None else changed,
            build,
            elapsed=round(self.elapsed(), 3),
        )

    # --- customization.log -------------------------------------------------------------------

    def log_lines(self, template: dict[str, Any]) -> list[str]:
        """The tail of customization.log when the staging storage answers; [] otherwise."""
        message = str(
            ((template.get("properties") or {}).get("lastRunStatus") or {}).get("message")
        )
        match = LOG_LOCATION.search(message)
        if not match:
            return []
        return log_tail(self.read_blob(match.group(1)))

    def read_blob(self, url: str) -> str | None:
        from ansible.module_utils.urls import open_url

        headers = {"x-ms-version": BLOB_API_VERSION}
        try:
            token = self.module.credential.get_token(STORAGE_SCOPE)
            headers["Authorization"] = f"Bearer {token.token}"
        except Exception:  # a log we cannot read must not hide the build's own error
            pass
        verify = self.module.verify
        try:
            response = open_url(
                url,
                headers=headers,
                validate_certs=bool(verify),
                ca_path=verify if isinstance(verify, str) else None,
                timeout=15,
            )
            return str(response.read().decode("utf-8", errors="replace"))
        except Exception:  # unreachable or not authorised: report the build error without it
            return None
