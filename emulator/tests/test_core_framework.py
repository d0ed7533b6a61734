"""The framework without a server: ids, routing, clock, events, operations, paging, authz."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from azsim.core import ArmError, Request, Sim, event, ids, on_delete
from azsim.core import lro as lro_module
from azsim.core.authz import permits
from azsim.core.faults import Faults
from azsim.core.routing import match, route
from azsim.core.sim import owner_assignment
from azsim.core.store import open_database

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
GALLERY = f"{SUB}/resourceGroups/rg/providers/Microsoft.Compute/galleries/g1"


@pytest.fixture
def sim(tmp_path: Path) -> Sim:
    return Sim(open_database(tmp_path / "state.db"))


def _request(
    sim: Sim, method: str = "PUT", path: str = GALLERY, query: dict[str, str] | None = None
) -> Request:
    return Request(
        method=method,
        path=path,
        params={},
        query=CIMultiDictProxy(CIMultiDict(query or {"api-version": "2024-01-01"})),
        api_version="2024-01-01",
        json={},
        principal=None,
        base_url="https://example.test",
        sim=sim,
    )


def test_ids_parse_types_and_parents() -> None:
    image = ids.parse(f"{GALLERY}/images/i1")
    assert image.type == "Microsoft.Compute/galleries/images"
    assert image.parent == GALLERY and image.resource_group == "rg"
    assert ids.parse(GALLERY).parent == f"{SUB}/resourceGroups/rg"
    assert ids.parse(f"{SUB}/resourceGroups/rg").type == "Microsoft.Resources/resourceGroups"
    assignment = ids.parse(f"{GALLERY}/providers/Microsoft.Authorization/roleAssignments/a")
    assert assignment.type == "Microsoft.Authorization/roleAssignments"
    assert assignment.parent == GALLERY
    assert ids.is_under(f"{GALLERY}/images/i1", SUB.upper())
    assert not ids.is_under(f"{SUB}/resourceGroups/rg2", f"{SUB}/resourceGroups/rg")


def test_routes_match_case_insensitively_and_prefer_literals() -> None:
    @route("GET", "/_test/{thing}/special", admin=True)
    def generic(req: Request) -> Any: ...

    @route("GET", "/_test/fixed/special", admin=True)
    def fixed(req: Request) -> Any: ...

    assert match("GET", "/_TEST/fixed/SPECIAL").route.handler is fixed  # type: ignore[union-attr]
    found = match("GET", "/_test/other/special")
    assert found.route.handler is generic and found.params == {"thing": "other"}  # type: ignore[union-attr]
    assert match("DELETE", "/_test/other/special").path_known
    assert match("HEAD", "/_test/other/special").route.handler is generic  # type: ignore[union-attr]


def test_store_is_case_insensitive_and_keeps_casing(sim: Sim) -> None:
    with sim.transaction():
        sim.store.put(GALLERY, {"name": "g1", "__secret": 1})
        sim.store.put(f"{GALLERY}/images/i1", {"name": "i1"})
        sim.store.put(f"{GALLERY}/images/i1/versions/1.0.0", {"name": "1.0.0"})
    assert sim.store.get(GALLERY.upper()) == {"name": "g1", "__secret": 1}
    assert sim.store.id_of(GALLERY.lower()) == GALLERY
    assert [
        c["name"] for c in sim.store.children(GALLERY, "Microsoft.Compute/galleries/images")
    ] == ["i1"]
    assert len(sim.store.by_type("microsoft.compute/galleries/images/versions", SUB)) == 1
    with sim.transaction():
        assert len(sim.store.delete_under(GALLERY)) == 3
    assert sim.store.ids() == []


def test_failed_handler_changes_are_rolled_back(sim: Sim) -> None:
    with pytest.raises(ArmError), sim.transaction():
        sim.store.put(GALLERY, {"name": "g1"})
        raise ArmError(400, "Nope", "no")
    assert sim.store.get(GALLERY) is None


def test_clock_keeps_running_across_a_reopen(tmp_path: Path) -> None:
    first = Sim(open_database(tmp_path / "state.db"))
    with first.transaction():
        first.clock.set_scale(1000)
    before = first.clock.epoch()
    first.conn.close()
    time.sleep(0.05)
    second = Sim(open_database(tmp_path / "state.db"))
    assert second.scale == 1000
    assert second.clock.epoch() - before >= 40  # 0.05 real s x 1000


@event("test.recorded")
def _recorded(sim: Sim, *, label: str) -> None:
    seen = sim.settings.get("test.seen", [])
    sim.settings.set("test.seen", [*seen, label])


def test_events_run_in_due_order_and_survive_a_reopen(tmp_path: Path) -> None:
    sim = Sim(open_database(tmp_path / "state.db"))
    with sim.transaction():
        sim.schedule(20, "test.recorded", label="late")
        sim.schedule(10, _recorded, label="early")
        sim.schedule(10_000, "test.recorded", label="much later")
    assert sim.run_due_events() == 0
    sim.conn.close()
    reopened = Sim(open_database(tmp_path / "state.db"))
    with reopened.transaction():
        reopened.clock.advance(30)
    assert reopened.run_due_events() == 2
    assert reopened.settings.get("test.seen") == ["early", "late"]


@event("test.fail_operation")
def _fail(sim: Sim, *, reason: str) -> None:
    sim.store.put(GALLERY, {"properties": {"provisioningState": "Failed"}})
    raise ArmError(409, "Broken", reason)


def test_operation_in_progress_then_failed_with_the_handlers_error(sim: Sim) -> None:
    with sim.transaction():
        response = sim.lro(
            _request(sim),
            resource_id=GALLERY,
            duration=60,
            on_done="test.fail_operation",
            on_done_args={"reason": "x"},
            location="West Europe",
        )
    status_url = response.headers["Azure-AsyncOperation"]  # type: ignore[index]
    assert status_url.startswith(
        "https://example.test/subscriptions/00000000-0000-0000-0000-"
        "000000000001/providers/Microsoft.Compute/locations/westeurope/"
    )
    assert "Location" not in response.headers  # type: ignore[operator]
    assert int(response.headers["Retry-After"]) >= 1  # type: ignore[index]
    operation_id = status_url.split("/operations/")[1].split("?")[0]
    assert lro_module.load(sim, operation_id)["status"] == "InProgress"  # type: ignore[index]
    with sim.transaction():
        sim.clock.advance(61)
    sim.run_due_events()
    done = lro_module.load(sim, operation_id)
    assert done is not None and done["status"] == "Failed"
    assert done["error"] == {"code": "Broken", "message": "x"}
    assert sim.store.get(GALLERY) == {"properties": {"provisioningState": "Failed"}}


@event("test.defective")
def _defective(sim: Sim) -> None:
    sim.store.put(GALLERY, {"half": "done"})
    raise KeyError("bug")


def test_a_defective_handler_fails_the_operation_and_leaves_no_changes(sim: Sim) -> None:
    with sim.transaction():
        response = sim.lro(
            _request(sim), resource_id=GALLERY, duration=1, on_done=_defective, location="eastus"
        )
    operation_id = response.headers["Azure-AsyncOperation"].split("/operations/")[1][:36]  # type: ignore[index]
    with sim.transaction():
        sim.clock.advance(2)
    sim.run_due_events()
    done = lro_module.load(sim, operation_id)
    assert done is not None and done["status"] == "Failed"
    assert done["error"]["code"] == "InternalServerError"
    assert sim.store.get(GALLERY) is None


def test_delete_operations_also_give_a_location(sim: Sim) -> None:
    with sim.transaction():
        response = sim.lro(
            _request(sim, "DELETE"), resource_id=GALLERY, status=202, final=None, location="eastus"
        )
    assert "/operationResults/" in response.headers["Location"]  # type: ignore[index]


@event("test.compute_result")
def _result(sim: Sim, *, value: int) -> dict[str, int]:
    return {"value": value}


def test_post_operation_serves_its_result_at_the_location(sim: Sim) -> None:
    with sim.transaction():
        response = sim.lro(
            _request(sim, "POST"),
            resource_id=GALLERY,
            status=202,
            duration=5,
            on_done=_result,
            on_done_args={"value": 7},
            final="location",
            location="eastus",
        )
    location = response.headers["Location"]  # type: ignore[index]
    path = location.removeprefix("https://example.test").split("?")[0]
    operation_id = path.rsplit("/", 1)[1]
    poll = _request(sim, "GET", path)
    poll.params = {"operationId": operation_id}
    pending = lro_module.get_operation_result(poll)
    assert pending.status == 202 and pending.headers["Location"]  # type: ignore[index]
    with sim.transaction():
        sim.clock.advance(6)
    sim.run_due_events()
    finished = lro_module.get_operation_result(poll)
    assert finished.status == 200 and finished.body == {"value": 7}


def test_finish_operation_settles_early_once(sim: Sim) -> None:
    with sim.transaction():
        response = sim.lro(
            _request(sim, "POST"),
            resource_id=GALLERY,
            status=202,
            duration=3600,
            on_done=_result,
            on_done_args={"value": 3},
            final="location",
            location="eastus",
        )
    operation_id = response.operation_id
    assert operation_id and operation_id in response.headers["Azure-AsyncOperation"]  # type: ignore[index]
    with sim.transaction():
        sim.finish_operation(operation_id)
        sim.finish_operation(operation_id, ArmError(409, "Late", "ignored: already settled"))
    done = lro_module.load(sim, operation_id)
    assert done is not None and done["status"] == "Succeeded" and done["__result"] == {"value": 3}
    assert "endTime" in done


def test_finish_operation_with_an_error_skips_the_handler(sim: Sim) -> None:
    with sim.transaction():
        response = sim.lro(
            _request(sim),
            resource_id=GALLERY,
            duration=3600,
            on_done="test.fail_operation",
            on_done_args={"reason": "x"},
            location="eastus",
        )
        sim.finish_operation(response.operation_id or "", ArmError(400, "Stopped", "halted"))
    done = lro_module.load(sim, response.operation_id or "")
    assert done is not None and done["status"] == "Failed"
    assert done["error"] == {"code": "Stopped", "message": "halted"}
    assert sim.store.get(GALLERY) is None  # the handler did not run
    with sim.transaction():
        sim.clock.advance(3601)
    sim.run_due_events()
    assert lro_module.load(sim, response.operation_id or "") == done


@on_delete("Test.Hooks/widgets")
def _remove_widget_companion(sim: Sim, widget: dict[str, Any]) -> None:
    sim.store.delete_under(widget["companion"])


def test_cascading_delete_runs_the_hooks_of_what_goes(sim: Sim) -> None:
    group = f"{SUB}/resourceGroups/rg"
    widget = f"{group}/providers/Test.Hooks/widgets/w1"
    companion = f"{SUB}/resourceGroups/companion"
    kept = f"{SUB}/resourceGroups/kept"
    with sim.transaction():
        for resource_id in (group, companion, f"{companion}/child", kept):
            sim.store.put(resource_id, {"id": resource_id})
        sim.store.put(widget, {"id": widget, "companion": companion})
        deleted = sim.delete_cascading(group)
    assert sorted(deleted) == sorted([group, widget])
    assert sim.store.ids() == [kept]


def test_page_builds_next_links_from_base_url(sim: Sim) -> None:
    items = [{"n": n} for n in range(5)]
    first = sim.page(_request(sim, "GET", query={"api-version": "v", "$top": "2"}), items)
    assert first.body["value"] == [{"n": 0}, {"n": 1}]
    link = first.body["nextLink"]
    assert link.startswith(f"https://example.test{GALLERY}?") and "%24skiptoken=2" in link
    last = sim.page(_request(sim, "GET", query={"api-version": "v", "$skiptoken": "4"}), items)
    assert last.body == {"value": [{"n": 4}]}


def test_permissions_with_wildcards_and_not_actions() -> None:
    contributor = [{"actions": ["*"], "notActions": ["Microsoft.Authorization/*/Write"]}]
    assert permits(contributor, "Microsoft.Compute/galleries/write")
    assert not permits(contributor, "Microsoft.Authorization/roleAssignments/write")
    reader = [{"actions": ["*/read"]}]
    assert permits(reader, "Microsoft.Compute/galleries/read")
    assert not permits(reader, "Microsoft.Compute/galleries/write")


def test_authz_checks_scope_and_names_linked_failures(sim: Sim) -> None:
    group = f"{SUB}/resourceGroups/rg"
    assignment_id = f"{group}/providers/Microsoft.Authorization/roleAssignments/a1"
    with sim.transaction():
        sim.store.put(assignment_id, owner_assignment(assignment_id, "a1", group, "oid-1"))
    sim.authz.check("oid-1", "Microsoft.Compute/galleries/write", GALLERY)
    with pytest.raises(ArmError) as raised:
        sim.authz.check(
            "oid-1",
            "Microsoft.Compute/images/read",
            f"{SUB}/resourceGroups/other/providers/Microsoft.Compute/images/i",
            linked=True,
            primary_action="Microsoft.Compute/galleries/write",
            primary_scope=GALLERY,
        )
    assert raised.value.status == 403 and raised.value.code == "LinkedAuthorizationFailed"
    with pytest.raises(ArmError) as raised:
        sim.authz.check("oid-2", "Microsoft.Compute/galleries/read", GALLERY)
    assert raised.value.code == "AuthorizationFailed"


def test_faults_count_and_method() -> None:
    faults = Faults()
    faults.add({"method": "GET", "path": "/galleries/", "status": 429, "count": 2})
    assert faults.pick("PUT", "/x/galleries/g") is None
    assert faults.pick("GET", "/x/galleries/g") is not None
    assert faults.pick("GET", "/x/galleries/g") is not None
    assert faults.pick("GET", "/x/galleries/g") is None


def test_unknown_location_is_refused(sim: Sim) -> None:
    assert sim.normalize_location("West Europe") == "westeurope"
    with pytest.raises(ArmError) as raised:
        sim.normalize_location("Atlantis")
    assert raised.value.code == "LocationNotAvailableForResourceType"
