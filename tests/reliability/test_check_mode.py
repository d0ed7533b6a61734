"""Check mode and diff mode: a check-mode run sends no write and predicts `changed` exactly as
the real run that follows; the diff it shows is the diff the real run reports. Each module is
taken through create, an idempotent re-run and an update."""

from __future__ import annotations

from typing import Any

import pytest
from fixtures import seed_sources
from harness import Sim

PLATFORM = {
    "type": "platform_image",
    "publisher": "Canonical",
    "offer": "ubuntu-24_04-lts",
    "sku": "server",
}


def steps(ids: dict[str, str]) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """module -> (label, [create args, update args]); the create args are re-run in between."""
    rg = ids["rg"]
    template = {
        "name": "cmtpl",
        "resource_group": rg,
        "identity": ids["identity"],
        "source": PLATFORM,
        "customize": [{"type": "shell", "name": "patch", "inline": ["true"]}],
        "distribute": [{"type": "vhd", "run_output_name": "vhd"}],
    }
    image = {
        "name": "cmdef",
        "gallery_name": "relgal",
        "resource_group": rg,
        "os_type": "Linux",
        "os_state": "Generalized",
        "hyper_v_generation": "V2",
        "publisher": "contoso",
        "offer": "cm",
        "sku": "1",
    }
    version = {
        "name": "5.0.0",
        "gallery_name": "relgal",
        "gallery_image_name": "linux",
        "resource_group": rg,
        "managed_image": ids["image"],
        "target_regions": ["eastus"],
    }
    return {
        "gallery": [
            {"name": "cmgal", "resource_group": rg, "location": "eastus"},
            {"name": "cmgal", "resource_group": rg, "description": "golden", "tags": {"a": "1"}},
        ],
        "gallery_image": [image, {**image, "description": "changed", "tags": {"a": "1"}}],
        "gallery_image_version": [version, {**version, "exclude_from_latest": True}],
        "managed_image": [
            {
                "name": "cmimg",
                "resource_group": rg,
                "location": "eastus",
                "os_disk": {"disk": ids["disk"], "os_type": "Linux"},
            },
            {
                "name": "cmimg",
                "resource_group": rg,
                "location": "eastus",
                "os_disk": {"disk": ids["disk"], "os_type": "Linux"},
                "tags": {"a": "1"},
            },
        ],
        "image_template": [template, {**template, "tags": {"a": "1"}}],
        "user_assigned_identity": [
            {"name": "cmid", "resource_group": rg, "location": "eastus"},
            {"name": "cmid", "resource_group": rg, "location": "eastus", "tags": {"a": "1"}},
        ],
    }


@pytest.fixture(scope="module")
def ids(sim: Sim, group: str) -> dict[str, str]:
    return {"rg": group, **seed_sources(sim, group)}


@pytest.mark.parametrize(
    "module",
    [
        "gallery",
        "gallery_image",
        "gallery_image_version",
        "managed_image",
        "image_template",
        "user_assigned_identity",
    ],
)
def test_check_mode_predicts_the_real_run(sim: Sim, ids: dict[str, str], module: str) -> None:
    create, update = steps(ids)[module]
    for stage, args in (("create", create), ("rerun", create), ("update", update)):
        predicted = sim.run(module, args, check=True, diff=True, label=f"check-{module}-{stage}")
        assert not predicted.failed, predicted.describe()
        assert predicted.writes == [], f"{module} {stage}: check mode wrote {predicted.writes}"
        real = sim.run(module, args, diff=True, label=f"real-{module}-{stage}")
        assert not real.failed, real.describe()
        assert predicted.changed == real.changed, f"{module} {stage}: check mode mispredicted"
        assert predicted.changed == (stage != "rerun"), f"{module} {stage}: changed is wrong"
        assert bool(real.writes) == real.changed, f"{module} {stage}: writes and changed differ"
        if real.changed:
            assert predicted.result.get("diff") == real.result.get("diff"), (
                f"{module} {stage}: check-mode diff {predicted.result.get('diff')} "
                f"!= real diff {real.result.get('diff')}"
            )
            assert real.result.get("diff"), f"{module} {stage}: no diff in diff mode"


def test_check_mode_of_a_build_starts_nothing(sim: Sim, ids: dict[str, str]) -> None:
    template = steps(ids)["image_template"][0]
    assert not sim.run("image_template", {**template, "name": "cmbuild"}).failed
    args = {"name": "cmbuild", "resource_group": ids["rg"], "progress_interval": 1}
    predicted = sim.run("image_build", args, check=True, label="check-image_build")
    assert not predicted.failed and predicted.writes == [], predicted.describe()
    real = sim.run("image_build", args, label="real-image_build")
    assert not real.failed, real.describe()
    assert predicted.changed and real.changed
    predicted_again = sim.run("image_build", args, check=True)
    assert not predicted_again.changed and predicted_again.writes == []
    assert not sim.run("image_build", args).changed


def test_check_mode_of_a_delete_keeps_everything(sim: Sim, ids: dict[str, str]) -> None:
    args = {"name": "relgal", "resource_group": ids["rg"], "state": "absent", "force": True}
    before = sim.state()
    predicted = sim.run("gallery", args, check=True, diff=True, label="check-gallery-delete")
    assert not predicted.failed and predicted.changed, predicted.describe()
    assert predicted.writes == [] and sim.state() == before
