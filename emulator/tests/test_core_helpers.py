"""The framework's shared handler shapes: list routes, get-or-404, long-running deletes, counted
admin records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from azsim.core import ArmError, Request, Sim, event
from azsim.core import lro as lro_module
from azsim.core.paging import list_routes
from azsim.core.routing import admin_records, match
from azsim.core.store import open_database

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
WIDGET_TYPE = "Test.Helpers/widgets"
RULE_TYPE = "Test.Helpers/simRules"


@pytest.fixture
def sim(tmp_path: Path) -> Sim:
    return Sim(open_database(tmp_path / "state.db"))


def _call(sim: Sim, method: str, path: str, query: dict[str, str] | None = None) -> Any:
    found = match(method, path)
    assert found.route is not None, path
    req = Request(
        method=method,
        path=path,
        params=found.params,
        query=CIMultiDictProxy(CIMultiDict({"api-version": "v1", **(query or {})})),
        api_version="v1",
        json={},
        principal=None,
        base_url="https://example.test",
        sim=sim,
    )
    with sim.transaction():
        return found.route.handler(req)


def _widget(group: str, name: str) -> tuple[str, dict[str, Any]]:
    widget_id = f"{SUB}/resourceGroups/{group}/providers/{WIDGET_TYPE}/{name}"
    return widget_id, {"id": widget_id, "name": name, "__internal": 1}


list_routes(WIDGET_TYPE, api_versions=["v1"], action="Test.Helpers/widgets/read",
            view=lambda body: {"name": body["name"]})  # fmt: skip
admin_records("/_sim/test-helpers/rules", RULE_TYPE)


def test_list_routes_page_a_type_by_resource_group_and_by_subscription(sim: Sim) -> None:
    with sim.transaction():
        for group, name in (("rg", "b"), ("rg", "a"), ("other", "c")):
            sim.store.put(*_widget(group, name))
    in_group = _call(sim, "GET", f"{SUB}/resourceGroups/RG/providers/{WIDGET_TYPE}")
    assert in_group.status == 200
    assert in_group.body == {"value": [{"name": "a"}, {"name": "b"}]}
    everywhere = _call(sim, "GET", f"{SUB}/providers/{WIDGET_TYPE}", {"$top": "2"})
    assert everywhere.body["value"] == [{"name": "c"}, {"name": "a"}]
    assert "%24skiptoken=2" in everywhere.body["nextLink"]
    route = match("GET", f"{SUB}/providers/{WIDGET_TYPE}").route
    assert route is not None and route.action == "Test.Helpers/widgets/read"
    assert route.api_versions == frozenset({"v1"})


def test_get_or_404_names_the_missing_resource(sim: Sim) -> None:
    widget_id, body = _widget("rg", "w")
    with sim.transaction():
        sim.store.put(widget_id, body)
    assert sim.store.get_or_404(widget_id.upper()) == body
    with pytest.raises(ArmError) as caught:
        sim.store.get_or_404(widget_id + "x")
    assert (caught.value.status, caught.value.code) == (404, "ResourceNotFound")
    assert caught.value.message.startswith(
        f"The Resource '{WIDGET_TYPE}/wx' under resource group 'rg' was not found."
    )


@event("test.helpers_removed")
def _removed(sim: Sim, *, resource_id: str) -> None:
    sim.store.delete(resource_id)


def test_lro_delete_reads_deleting_until_the_operation_removes_it(sim: Sim) -> None:
    widget_id, body = _widget("rg", "w")
    with sim.transaction():
        sim.store.put(widget_id, body)
    req = Request("DELETE", widget_id, {}, CIMultiDictProxy(CIMultiDict()), "v1", {}, None,
                  "https://example.test", sim)  # fmt: skip
    with sim.transaction():
        response = sim.lro_delete(
            req,
            resource_id=widget_id,
            body=body,
            duration=30,
            on_done=_removed,
            on_done_args={"resource_id": widget_id},
            location="eastus",
        )
    assert response.status == 202 and response.body is None
    assert "/operationResults/" in response.headers["Location"]  # type: ignore[index]
    assert sim.store.get(widget_id)["properties"] == {"provisioningState": "Deleting"}  # type: ignore[index]
    with sim.transaction():
        sim.clock.advance(31)
    sim.run_due_events()
    operation_id = response.operation_id
    assert operation_id is not None
    assert lro_module.load(sim, operation_id)["status"] == "Succeeded"  # type: ignore[index]
    assert sim.store.get(widget_id) is None


def test_take_uses_up_the_first_matching_record_and_admin_routes_list_and_clear(
    sim: Sim,
) -> None:
    with sim.transaction():
        for name, kind, count in (("r1", "a", 2), ("r2", "b", 1), ("r3", "a", 1)):
            rule_id = f"/providers/{RULE_TYPE}/{name}"
            sim.store.put(rule_id, {"id": rule_id, "kind": kind, "count": count})
    with sim.transaction():
        assert sim.store.take(RULE_TYPE, lambda r: r["kind"] == "a")["count"] == 2  # type: ignore[index]
        assert sim.store.take(RULE_TYPE, lambda r: r["kind"] == "a")["count"] == 1  # type: ignore[index]
        assert sim.store.take(RULE_TYPE, lambda r: r["kind"] == "c") is None
    listed = _call(sim, "GET", "/_sim/test-helpers/rules")
    assert [rule["id"].rsplit("/", 1)[1] for rule in listed.body["value"]] == ["r2", "r3"]
    assert _call(sim, "DELETE", "/_sim/test-helpers/rules").status == 204
    assert _call(sim, "GET", "/_sim/test-helpers/rules").body == {"value": []}


def test_set_provisioning_state_settles_a_resource_that_is_still_there(sim: Sim) -> None:
    widget_id, body = _widget("rg", "w")
    with sim.transaction():
        sim.store.put(widget_id, body)
        settled = sim.set_provisioning_state(widget_id, "Succeeded")
        gone = sim.set_provisioning_state(widget_id + "x", "Succeeded")
    assert settled == {**body, "properties": {"provisioningState": "Succeeded"}}
    assert sim.store.get(widget_id) == settled and gone is None
    assert sim.store.get(widget_id + "x") is None
