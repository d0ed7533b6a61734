# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_regions: unknown regions are refused by option name, the list is read once and only when
there is a new region to judge."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from ansible_collections.goldenimage.azure.plugins.module_utils._regions import (
    LOCATIONS_API_VERSION,
    check_regions,
    region_key,
    regions_of,
    unknown_region_message,
)

SUB = "00000000-0000-0000-0000-000000000001"
LOCATIONS = {
    "value": [
        {"name": "eastus", "displayName": "East US"},
        {"name": "eastus2", "displayName": "East US 2"},
        {"name": "westeurope", "displayName": "West Europe"},
    ]
}


class Failed(Exception):
    def __init__(self, msg: str, **result: Any) -> None:
        super().__init__(msg)
        self.msg, self.result = msg, result


class FakeArm:
    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.reads: list[tuple[str, str]] = []

    def get(self, path: str, api_version: str) -> Any:
        self.reads.append((path, api_version))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class FakeModule:
    subscription_id = SUB

    def __init__(self, answer: Any = None, *, listed: bool = True) -> None:
        self.arm = FakeArm(LOCATIONS if listed and answer is None else answer)

    def fail(self, msg: str, **result: Any) -> None:
        raise Failed(msg, **result)


def forbidden() -> HttpResponseError:
    error = HttpResponseError(message="AuthorizationFailed")
    error.status_code = 403
    return error


@pytest.mark.parametrize("spelling", ["eastus", "East US", "EASTUS", " east us ", "east-us"])
def test_region_names_compare_without_case_spaces_or_hyphens(spelling: str) -> None:
    assert region_key(spelling) == "eastus"


def test_regions_are_known_by_name_and_display_name() -> None:
    catalog = regions_of(LOCATIONS["value"])
    assert catalog["eastus2"] == "eastus2"
    assert catalog["westeurope"] == "westeurope"
    assert regions_of([{"displayName": "nameless"}]) == {}


def test_known_regions_pass_after_one_read_of_the_subscriptions_list() -> None:
    module = FakeModule()
    check_regions(module, [("location", "East US"), ("target_regions", "westeurope")])
    check_regions(module, [("target_regions", "eastus2")])  # the same run: no second read
    assert module.arm.reads == [(f"/subscriptions/{SUB}/locations", LOCATIONS_API_VERSION)]


def test_an_unknown_region_fails_naming_the_option_and_the_value() -> None:
    module = FakeModule()
    with pytest.raises(Failed) as failure:
        check_regions(module, [("location", "eastus"), ("distribute[0].location", "atlantis")])
    assert failure.value.msg == (
        "Invalid distribute[0].location 'atlantis': not a region this subscription offers."
    )
    assert failure.value.result == {"option": "distribute[0].location"}


def test_a_misspelt_region_suggests_close_ones() -> None:
    message = unknown_region_message("location", "East USS", regions_of(LOCATIONS["value"]))
    assert message.startswith("Invalid location 'East USS': not a region this subscription offers")
    assert message.endswith("did you mean 'eastus' or 'eastus2'?")


def test_regions_the_resource_has_and_empty_values_need_no_read() -> None:
    module = FakeModule()
    check_regions(
        module, [("location", "East US"), ("target_regions", None)], existing=["eastus", None]
    )
    check_regions(module, [])
    assert module.arm.reads == []


def test_only_new_regions_are_judged() -> None:
    module = FakeModule()
    with pytest.raises(Failed, match="'atlantis'"):
        check_regions(
            module,
            [("target_regions", "retired"), ("target_regions", "atlantis")],
            existing=["Retired"],
        )


@pytest.mark.parametrize("answer", [forbidden(), {"value": []}, None])
def test_a_list_the_identity_may_not_read_leaves_the_judgement_to_arm(answer: Any) -> None:
    module = FakeModule(answer, listed=False)
    check_regions(module, [("location", "atlantis")])
    assert len(module.arm.reads) == 1


def test_other_errors_reading_the_list_are_raised() -> None:
    error = HttpResponseError(message="boom")
    error.status_code = 500
    with pytest.raises(HttpResponseError):
        check_regions(FakeModule(error), [("location", "atlantis")])
