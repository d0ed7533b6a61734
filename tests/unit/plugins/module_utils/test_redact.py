# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SAS signatures and account keys are masked in whatever a module shows."""

from __future__ import annotations

from ansible_collections.goldenimage.azure.plugins.module_utils._redact import (
    MASK,
    redact,
    redact_text,
    sas_signatures,
)

SAS_URI = (
    "https://acct.blob.core.windows.net/vhds/golden.vhd?sv=2024-11-04&sp=r&sig=AbC%2B123%3D&se=2030"
)


def test_sas_signature_is_masked_and_the_rest_of_the_uri_kept() -> None:
    assert redact_text(SAS_URI) == (
        f"https://acct.blob.core.windows.net/vhds/golden.vhd?sv=2024-11-04&sp=r&sig={MASK}&se=2030"
    )


def test_signature_first_in_the_query_and_inside_a_message() -> None:
    text = "script https://a/b.sh?sig=s3cr3t failed; see https://a/c.sh?SIG=other&sv=1"
    masked = redact_text(text)
    assert "s3cr3t" not in masked and "other" not in masked
    assert masked.count(MASK) == 2


def test_connection_string_account_key_is_masked() -> None:
    text = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=bXlrZXk=;EndpointSuffix=x"
    assert redact_text(text) == (
        f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={MASK};EndpointSuffix=x"
    )


def test_nested_results_are_masked_without_touching_other_values() -> None:
    result = {
        "changed": True,
        "template": {"distribute": [{"type": "VHD", "uri": SAS_URI}], "build_timeout": 60},
        "diff": {"before": None, "after": {"uris": [SAS_URI, "https://plain/x"]}},
    }
    masked = redact(result)
    assert "AbC%2B123%3D" not in str(masked)
    assert masked["template"]["build_timeout"] == 60
    assert masked["diff"]["after"]["uris"][1] == "https://plain/x"
    assert result["template"]["distribute"][0]["uri"] == SAS_URI, "the input is not changed"


def test_signatures_are_found_for_no_log_values() -> None:
    params = {"uri": SAS_URI, "steps": [{"script_uri": "https://a/b.sh?sig=xyz"}], "n": 3}
    assert sas_signatures(params) == {"AbC%2B123%3D", "xyz"}
    assert sas_signatures({"uri": "https://plain/x?sv=1"}) == set()
