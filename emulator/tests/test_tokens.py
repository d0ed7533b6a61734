"""Token lifetime and expiry on demand (`/_sim/tokens`), and rotating or revoking a service
principal's secret (`PATCH /_sim/principals/{client_id}`), on a stand-in of their own: expiring
every token issued would break the session credential other tests share."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from azsim.client import AdminClient, AdminError

SCOPE = "https://management.azure.com/.default"


class Own:
    """A stand-in of this module's own, called with plain HTTP as the clients' wire shows."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.info = info
        self.admin = AdminClient.from_info(info)
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPSHandler(context=self.admin._context),
        )

    def _send(self, request: urllib.request.Request) -> tuple[int, Any, dict[str, str]]:
        try:
            with self.opener.open(request, timeout=30) as response:
                raw, status, headers = response.read(), response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            raw, status, headers = error.read(), error.code, dict(error.headers)
        return status, json.loads(raw) if raw else None, headers

    def token(self, client_id: str, secret: str) -> tuple[int, Any, dict[str, str]]:
        form = urllib.parse.urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
                "scope": SCOPE,
            }
        ).encode()
        url = f"{self.info['url']}/{self.info['tenant_id']}/oauth2/v2.0/token"
        return self._send(urllib.request.Request(url, data=form, method="POST"))

    def default_token(self) -> dict[str, Any]:
        status, body, _ = self.token(self.info["client_id"], self.info["client_secret"])
        assert status == 200, body
        return body

    def list_groups(self, token: str) -> tuple[int, Any, dict[str, str]]:
        path = (
            f"/subscriptions/{self.info['subscription_id']}/resourcegroups?api-version=2021-04-01"
        )
        request = urllib.request.Request(
            f"{self.info['url']}{path}", headers={"Authorization": f"Bearer {token}"}
        )
        return self._send(request)


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory, stand_in: Any) -> Iterator[Own]:
    directory: Path = tmp_path_factory.mktemp("tokens")
    running = Own(stand_in.start(directory, "--time-scale", "3600"))
    yield running
    stand_in.stop(directory)


@pytest.fixture
def default_lifetime(own: Own) -> Iterator[None]:
    yield
    own.admin.call("POST", "tokens", {"lifetime_seconds": None})


def assert_expired(status: int, body: Any, headers: dict[str, str]) -> None:
    """ARM's answer to an expired token: 401, its code, and a Bearer challenge."""
    assert status == 401, body
    assert body["error"]["code"] == "ExpiredAuthenticationToken"
    assert "is earlier than current UTC time" in body["error"]["message"]
    challenge = headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge
    assert 'error_description="The access token has expired."' in challenge


def test_defaults_are_reported(own: Own) -> None:
    assert own.admin.call("GET", "tokens") == {"lifetime_seconds": 3600, "expired_before": None}


def test_lifetime_applies_to_tokens_issued_from_then_on(own: Own, default_lifetime: None) -> None:
    before = own.default_token()
    assert own.admin.call("POST", "tokens", {"lifetime_seconds": 2})["lifetime_seconds"] == 2
    short = own.default_token()
    assert short["expires_in"] == short["ext_expires_in"] == 2
    assert own.list_groups(short["access_token"])[0] == 200
    time.sleep(3.1)
    assert_expired(*own.list_groups(short["access_token"]))
    assert own.list_groups(before["access_token"])[0] == 200, "an earlier token was shortened"


def test_expire_issued_expires_every_earlier_token_only(own: Own) -> None:
    earlier = own.default_token()["access_token"]
    assert own.list_groups(earlier)[0] == 200
    settings = own.admin.call("POST", "tokens", {"expire_issued": True})
    assert settings["expired_before"] >= int(time.time())
    assert_expired(*own.list_groups(earlier))
    later = own.default_token()["access_token"]  # at once, even within the same second
    assert own.list_groups(later)[0] == 200


def test_expired_token_is_logged_against_its_principal(own: Own) -> None:
    token = own.default_token()["access_token"]
    own.admin.call("POST", "tokens", {"expire_issued": True})
    since = own.admin.last_seq()
    assert own.list_groups(token)[0] == 401
    entry = next(e for e in own.admin.requests(since) if e["kind"] == "arm")
    assert entry["status"] == 401


@pytest.mark.parametrize(
    "body",
    [{"lifetime_seconds": 0}, {"lifetime_seconds": "60"}, {"lifetime_seconds": True}],
)
def test_bad_lifetime_is_refused(own: Own, body: dict[str, Any]) -> None:
    with pytest.raises(AdminError) as raised:
        own.admin.call("POST", "tokens", body)
    assert raised.value.status == 400
    assert own.admin.call("GET", "tokens")["lifetime_seconds"] == 3600


def test_rotated_secret_refuses_the_old_one_and_keeps_the_principal(own: Own) -> None:
    client_id = str(uuid.uuid4())
    added = own.admin.add_principal(client_id=client_id, secret="first-secret")
    updated = own.admin.call("PATCH", f"principals/{client_id}", {"secret": "second-secret"})
    assert updated["object_id"] == added["object_id"]
    status, body, _ = own.token(client_id, "first-secret")
    assert status == 401 and body["error"] == "invalid_client"
    assert body["error_codes"] == [7000215] and client_id in body["error_description"]
    assert own.token(client_id, "second-secret")[0] == 200


def test_revoked_secret_refuses_every_secret(own: Own) -> None:
    client_id = str(uuid.uuid4())
    own.admin.add_principal(client_id=client_id, secret="only-secret")
    own.admin.call("PATCH", f"principals/{client_id}", {"secret": None})
    status, body, _ = own.token(client_id, "only-secret")
    assert status == 401 and body["error_codes"] == [7000215]


def test_updating_an_unknown_principal_or_with_a_bad_secret_is_refused(own: Own) -> None:
    with pytest.raises(AdminError) as raised:
        own.admin.call("PATCH", f"principals/{uuid.uuid4()}", {"secret": "x"})
    assert raised.value.status == 404
    with pytest.raises(AdminError) as raised:
        own.admin.call("PATCH", f"principals/{own.info['client_id']}", {"secret": ""})
    assert raised.value.status == 400
    assert own.token(own.info["client_id"], own.info["client_secret"])[0] == 200


def test_settings_survive_a_restart(own: Own, stand_in: Any, default_lifetime: None) -> None:
    own.admin.call("POST", "tokens", {"lifetime_seconds": 77})
    directory = Path(own.info["ca_file"]).parent
    stand_in.stop(directory)
    own.info = stand_in.start(directory)
    own.admin = AdminClient.from_info(own.info)
    assert own.admin.call("GET", "tokens")["lifetime_seconds"] == 77
    assert own.default_token()["expires_in"] == 77
