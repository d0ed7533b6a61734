# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tags + purge_tags semantics."""

from __future__ import annotations

from ansible_collections.goldenimage.azure.plugins.module_utils._tags import desired_tags


def test_tags_not_given_leaves_tags_alone() -> None:
    assert desired_tags({"a": "1"}, None) is None


def test_purge_replaces_all_tags() -> None:
    change = desired_tags({"a": "1", "b": "2"}, {"a": "1", "c": "3"})
    assert change is not None and change.changed
    assert change.tags == {"a": "1", "c": "3"}
    assert change.added == {"c": "3"} and change.removed == ["b"]


def test_without_purge_tags_are_merged() -> None:
    change = desired_tags({"a": "1", "b": "2"}, {"a": "9"}, purge=False)
    assert change is not None
    assert (
        change.tags == {"a": "9", "b": "2"} and change.added == {"a": "9"} and change.removed == []
    )


def test_same_tags_are_no_change_and_values_compare_as_strings() -> None:
    change = desired_tags({"n": "1", "empty": ""}, {"n": 1, "empty": None})
    assert change is not None and not change.changed


def test_empty_tags_with_purge_remove_everything() -> None:
    change = desired_tags({"a": "1"}, {})
    assert change is not None and change.tags == {} and change.removed == ["a"]
    assert desired_tags(None, {}) is not None and not desired_tags(None, {}).changed  # type: ignore[union-attr]
