"""Entra ID as clients see it: OpenID configuration, token endpoints, managed identities.

Access tokens are RS256 JWTs signed with the stand-in's token key; ARM requests are
authenticated here too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from azsim.core import ArmError, Principal, Request, Response, route
from azsim.core.principals import PrincipalRecord
from azsim.core.store import Settings
from azsim.tls import ClientCertificate, load_or_create_key

TOKEN_LIFETIME = 3600  # real seconds: clients refresh on their own clock
# Settings `POST /_sim/tokens` writes: the lifetime of tokens issued from then on, and the
# second before which every token issued counts as expired.
LIFETIME_SETTING = "tokens.lifetime"
EXPIRED_BEFORE_SETTING = "tokens.expired_before"
FEDERATED_ISSUER = "https://oidc.azsim.local"
FEDERATED_SUBJECT = "system:serviceaccount:azsim:default"
FEDERATED_AUDIENCE = "api://AzureADTokenExchange"
ARM_AUDIENCES = ("https://management.azure.com", "https://management.core.windows.net")
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
KEY_ID = "azsim-token-key"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_jwt(claims: dict[str, Any], key: rsa.RSAPrivateKey, header: dict[str, Any]) -> str:
    head = b64url(json.dumps({"alg": "RS256", "typ": "JWT", **header}).encode())
    body = b64url(json.dumps(claims).encode())
    signature = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{b64url(signature)}"


@dataclass
class Jwt:
    header: dict[str, Any]
    claims: dict[str, Any]
    signed: bytes
    signature: bytes

    @classmethod
    def parse(cls, token: str) -> Jwt:
        head, body, signature = token.split(".")
        return cls(
            json.loads(unb64url(head)),
            json.loads(unb64url(body)),
            f"{head}.{body}".encode(),
            unb64url(signature),
        )

    def verify(self, public_key: rsa.RSAPublicKey) -> bool:
        alg = self.header.get("alg")
        scheme: padding.AsymmetricPadding
        if alg == "RS256":
            scheme = padding.PKCS1v15()
        elif alg == "PS256":
            scheme = padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
        else:
            return False
        try:
            public_key.verify(self.signature, self.signed, scheme, hashes.SHA256())
        except InvalidSignature:
            try:  # PSS signers may use the maximum salt length
                if alg != "PS256":
                    return False
                public_key.verify(
                    self.signature,
                    self.signed,
                    padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.MAX_LENGTH),
                    hashes.SHA256(),
                )
            except InvalidSignature:
                return False
        return True


class TokenService:
    """Issues and checks access tokens; keeps a small cache of verified ones."""

    def __init__(self, key: rsa.RSAPrivateKey, tenant_id: str) -> None:
        self.key = key
        self.tenant_id = tenant_id
        self._verified: dict[str, tuple[dict[str, Any], Principal]] = {}
        # Where the admin API's token lifetime and expiry live; none: the defaults.
        self.settings: Settings | None = None

    @classmethod
    def load_or_create(cls, directory: Path, tenant_id: str) -> TokenService:
        return cls(load_or_create_key(directory / "token-key.pem"), tenant_id)

    @property
    def issuer(self) -> str:
        return f"https://sts.windows.net/{self.tenant_id}/"

    @property
    def lifetime(self) -> int:
        """Seconds a token issued now is valid (`expires_in` says the same, as Entra ID's does)."""
        if self.settings is None:
            return TOKEN_LIFETIME
        return int(self.settings.get(LIFETIME_SETTING, TOKEN_LIFETIME))

    @property
    def expired_before(self) -> int:
        """Tokens issued (`iat`) before this second read as expired; 0 when none was expired."""
        return int(self.settings.get(EXPIRED_BEFORE_SETTING, 0)) if self.settings else 0

    def set_lifetime(self, seconds: int | None) -> None:
        assert self.settings is not None
        self.settings.set(LIFETIME_SETTING, TOKEN_LIFETIME if seconds is None else seconds)

    def expire_issued(self) -> None:
        """Every token issued so far expires now; tokens issued from now on are unaffected."""
        assert self.settings is not None
        # Past the previous cut-off too: tokens issued since it (stamped with it) expire as well.
        cutoff = max(int(time.time()), self.expired_before) + 1
        self.settings.set(EXPIRED_BEFORE_SETTING, cutoff)

    def issue(self, record: PrincipalRecord, audience: str, lifetime: int | None = None) -> str:
        # Not before the expiry cut-off, so a token issued in the same second stays valid.
        now = max(int(time.time()), self.expired_before)
        lifetime = self.lifetime if lifetime is None else lifetime
        claims = {
            "aud": audience,
            "iss": self.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "oid": record.object_id,
            "sub": record.object_id,
            "appid": record.client_id,
            "tid": record.tenant_id,
            "idtyp": "app",
            "ver": "1.0",
        }
        return sign_jwt(claims, self.key, {"kid": KEY_ID})

    def federated_token(self, lifetime_days: int = 365) -> str:
        now = int(time.time())
        claims = {
            "iss": FEDERATED_ISSUER,
            "sub": FEDERATED_SUBJECT,
            "aud": FEDERATED_AUDIENCE,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime_days * 86400,
        }
        return sign_jwt(claims, self.key, {"kid": KEY_ID})

    def jwk(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "use": "sig",
            "kid": KEY_ID,
            "alg": "RS256",
            "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": b64url(numbers.e.to_bytes(3, "big")),
        }

    def authenticate(self, authorization: str | None, base_url: str, login: str) -> Principal:
        """The principal behind an ARM request's bearer token, or ARM's 401."""
        if not authorization:
            raise _arm_401(
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
                "The authentication failed because of missing 'Authorization' header.",
                login,
            )
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _arm_401(
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is provided in an invalid "
                "format.",
                "The authentication failed because of invalid 'Authorization' header.",
                login,
            )
        cached = self._verified.get(token)
        if cached is None:
            cached = self._verify(token, login)
        claims, principal = cached
        expires = int(claims["exp"])
        past_expiry = expires <= time.time()
        if int(claims.get("iat", 0)) < self.expired_before:  # expired through the admin API
            expires, past_expiry = min(expires, self.expired_before - 1, int(time.time())), True
        if past_expiry:
            self._verified.pop(token, None)
            expired = datetime.fromtimestamp(expires, UTC).strftime("%m/%d/%Y %H:%M:%S")
            current = datetime.now(UTC).strftime("%m/%d/%Y %H:%M:%S")
            raise _arm_401(
                "ExpiredAuthenticationToken",
                f"The access token expiry UTC time '{expired}' is earlier than current UTC time "
                f"'{current}'.",
                "The access token has expired.",
                login,
            )
        _check_audience(claims["aud"], base_url)
        return principal

    def _verify(self, token: str, login: str) -> tuple[dict[str, Any], Principal]:
        try:
            jwt = Jwt.parse(token)
            valid = jwt.verify(self.key.public_key()) and jwt.claims.get("iss") == self.issuer
            claims = jwt.claims
            principal = Principal(claims["oid"], claims["appid"], claims["tid"])
            int(claims["exp"])
        except (ValueError, KeyError, TypeError):
            valid = False
        if not valid:
            raise _arm_401(
                "InvalidAuthenticationToken",
                "The access token is invalid.",
                "The access token is invalid.",
                login,
            )
        if len(self._verified) > 10_000:
            self._verified.clear()
        self._verified[token] = (claims, principal)
        return claims, principal


def _check_audience(audience: str, base_url: str) -> None:
    accepted = {a for a in ARM_AUDIENCES} | {base_url}
    if audience.rstrip("/") in accepted:
        return
    allowed = ",".join(f"'{a}/','{a}'" for a in ARM_AUDIENCES)
    raise ArmError(
        401,
        "InvalidAuthenticationTokenAudience",
        f"The access token has been obtained for wrong audience or resource '{audience}'. It "
        f"should exactly match with one of the allowed audiences {allowed}.",
        headers={
            "WWW-Authenticate": 'Bearer error="invalid_token", '
            'error_description="The access token has wrong audience."'
        },
    )


def _arm_401(code: str, message: str, description: str, login: str) -> ArmError:
    return ArmError(
        401,
        code,
        message,
        headers={
            "WWW-Authenticate": f'Bearer authorization_uri="{login}", error="invalid_token", '
            f'error_description="{description}"'
        },
    )


# -- Entra ID endpoints -------------------------------------------------------------------


def _entra_error(status: int, error: str, code: int, description: str) -> Response:
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    timestamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return Response(
        status,
        {
            "error": error,
            "error_description": f"AADSTS{code}: {description} Trace ID: {trace_id} "
            f"Correlation ID: {correlation_id} Timestamp: {timestamp}",
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        },
    )


def _known_tenant(req: Request, tenant: str) -> bool:
    return tenant.lower() in {req.sim.tenant_id.lower(), "organizations", "common", "adfs"}


def _unknown_tenant(tenant: str) -> Response:
    return _entra_error(
        400,
        "invalid_request",
        90002,
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
        "signing into the correct cloud.",
    )


def _openid_configuration(req: Request, tenant: str, v2: bool) -> Response:
    if not _known_tenant(req, tenant):
        return _unknown_tenant(tenant)
    base = f"{req.base_url}/{tenant}"
    oauth = f"{base}/oauth2/v2.0" if v2 else f"{base}/oauth2"
    tenant_id = req.sim.tenant_id
    issuer = f"{req.base_url}/{tenant_id}/v2.0" if v2 else f"https://sts.windows.net/{tenant_id}/"
    if tenant.lower() == "adfs":
        issuer = f"{req.base_url}/adfs"
    return Response.ok(
        {
            "token_endpoint": f"{oauth}/token",
            "authorization_endpoint": f"{oauth}/authorize",
            "device_authorization_endpoint": f"{oauth}/devicecode",
            "end_session_endpoint": f"{oauth}/logout",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "issuer": issuer,
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "tenant_region_scope": "NA",
            "cloud_instance_name": "microsoftonline.com",
        }
    )


@route("GET", "/{tenant}/v2.0/.well-known/openid-configuration", kind="token")
def openid_configuration_v2(req: Request) -> Response:
    return _openid_configuration(req, req.params["tenant"], v2=True)


@route("GET", "/{tenant}/.well-known/openid-configuration", kind="token")
def openid_configuration_v1(req: Request) -> Response:
    return _openid_configuration(req, req.params["tenant"], v2=False)


@route("GET", "/{tenant}/discovery/v2.0/keys", kind="token")
def tenant_keys(req: Request) -> Response:
    return Response.ok({"keys": [req.sim.tokens.jwk()]})


@route("GET", "/oidc/.well-known/openid-configuration", kind="token")
def federated_issuer_configuration(req: Request) -> Response:
    return Response.ok(
        {
            "issuer": FEDERATED_ISSUER,
            "jwks_uri": f"{req.base_url}/oidc/keys",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }
    )


@route("GET", "/oidc/keys", kind="token")
def federated_issuer_keys(req: Request) -> Response:
    return Response.ok({"keys": [req.sim.tokens.jwk()]})


@route("GET", "/common/discovery/instance", kind="token")
def instance_discovery(req: Request) -> Response:
    """MSAL's instance discovery: every alias is this host."""
    host = req.base_url.removeprefix("https://")
    endpoint = req.query.get("authorization_endpoint", "")
    tenant = endpoint.split("/")[3] if endpoint.count("/") >= 4 else "common"
    return Response.ok(
        {
            "tenant_discovery_endpoint": f"{req.base_url}/{tenant}/v2.0/.well-known/"
            "openid-configuration",
            "api-version": "1.1",
            "metadata": [
                {"preferred_network": host, "preferred_cache": host, "aliases": [host]},
            ],
        }
    )


@route("POST", "/{tenant}/oauth2/v2.0/token", kind="token")
def token_v2(req: Request) -> Response:
    return _token(req, v2=True)


@route("POST", "/{tenant}/oauth2/token", kind="token")
def token_v1(req: Request) -> Response:
    return _token(req, v2=False)


def _audience(req: Request) -> str:
    """v2 clients send `scope` (`<resource>/.default`), v1 and ADFS clients may send `resource`."""
    scope = [s for s in req.form.get("scope", "").split() if s.endswith("/.default")]
    if scope:
        return scope[0].removesuffix(".default").rstrip("/") + "/"
    return req.form.get("resource", "")


def _token(req: Request, v2: bool) -> Response:
    tenant = req.params["tenant"]
    if not _known_tenant(req, tenant):
        return _unknown_tenant(tenant)
    form = req.form
    if form.get("grant_type") != "client_credentials":
        return _entra_error(
            400,
            "unsupported_grant_type",
            70003,
            f"The app requested an unsupported grant type '{form.get('grant_type', '')}'.",
        )
    client_id = form.get("client_id", "")
    req.log_principal = client_id or None
    record = req.sim.principals.by_client_id(client_id) if client_id else None
    if record is None or record.kind != "ServicePrincipal":
        return _entra_error(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{req.sim.tenant_id}'. This can happen if the application has not been installed "
            "by the administrator of the tenant or consented to by any user in the tenant. You "
            "may have sent your authentication request to the wrong tenant.",
        )
    failure = _authenticate_client(req, record)
    if failure is not None:
        return failure
    audience = _audience(req)
    if not audience:
        return _entra_error(
            400,
            "invalid_scope" if v2 else "invalid_resource",
            1002012,
            "The provided value for scope or resource is not valid.",
        )
    lifetime = req.sim.tokens.lifetime
    token = req.sim.tokens.issue(record, audience, lifetime)
    body: dict[str, Any] = {
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": token,
    }
    if not v2:
        now = int(time.time())
        body.update(
            {
                "expires_on": str(now + lifetime),
                "not_before": str(now),
                "resource": audience,
                "expires_in": str(lifetime),
            }
        )
    return Response.ok(body)


def _authenticate_client(req: Request, record: PrincipalRecord) -> Response | None:
    form = req.form
    if "client_secret" in form:
        if record.secret is not None and secrets.compare_digest(
            form["client_secret"], record.secret
        ):
            return None
        return _entra_error(
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the "
            "client secret value, not the client secret ID, for a secret added to app "
            f"'{record.client_id}'.",
        )
    assertion = form.get("client_assertion")
    if form.get("client_assertion_type") == JWT_BEARER and assertion:
        return _check_assertion(req, record, assertion)
    return _entra_error(
        401,
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or "
        "'client_secret'.",
    )


def _check_assertion(req: Request, record: PrincipalRecord, assertion: str) -> Response | None:
    try:
        jwt = Jwt.parse(assertion)
    except (ValueError, TypeError):
        return _entra_error(400, "invalid_request", 50027, "JWT token is invalid or malformed.")
    now = time.time()
    if not jwt.claims.get("exp", 0) > now - 300 or jwt.claims.get("nbf", 0) > now + 300:
        return _entra_error(
            400, "invalid_client", 700024, "Client assertion is not within its valid time range."
        )
    if "x5t" in jwt.header or "x5t#S256" in jwt.header:
        return _check_certificate_assertion(record, jwt)
    return _check_federated_assertion(req, record, jwt)


def _thumbprints(pem: str) -> tuple[bytes, bytes, Any]:
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(pem.encode())
    der = cert.public_bytes(serialization.Encoding.DER)
    return hashlib.sha1(der).digest(), hashlib.sha256(der).digest(), cert.public_key()


def _thumbprint_bytes(value: Any) -> bytes | None:
    """x5t values arrive base64url or plain base64, with or without padding."""
    if not isinstance(value, str):
        return None
    try:
        return unb64url(value.rstrip("=").replace("+", "-").replace("/", "_"))
    except ValueError:
        return b""


def _check_certificate_assertion(record: PrincipalRecord, jwt: Jwt) -> Response | None:
    wanted_sha1 = _thumbprint_bytes(jwt.header.get("x5t"))
    wanted_sha256 = _thumbprint_bytes(jwt.header.get("x5t#S256"))
    for pem in record.certificate_pems:
        sha1, sha256, public_key = _thumbprints(pem)
        if wanted_sha1 not in (None, sha1) or wanted_sha256 not in (None, sha256):
            continue
        claims = jwt.claims
        if claims.get("iss") != record.client_id or claims.get("sub") != record.client_id:
            break
        if jwt.verify(public_key):
            return None
        break
    else:
        return _entra_error(
            401,
            "invalid_client",
            700027,
            f"The certificate with identifier used to sign the client assertion is not "
            f"registered on application. [Reason - The key was not found., Thumbprint of key "
            f"used by client: '{jwt.header.get('x5t') or jwt.header.get('x5t#S256')}'",
        )
    return _entra_error(
        401, "invalid_client", 700027, "Client assertion failed signature validation."
    )


def _check_federated_assertion(req: Request, record: PrincipalRecord, jwt: Jwt) -> Response | None:
    claims = jwt.claims
    if claims.get("iss") != FEDERATED_ISSUER or not jwt.verify(req.sim.tokens.key.public_key()):
        return _entra_error(
            400,
            "invalid_client",
            70021,
            "No matching federated identity record found for presented assertion. Assertion "
            f"Issuer: '{claims.get('iss')}'. Assertion Subject: '{claims.get('sub')}'.",
        )
    audiences = claims.get("aud")
    audiences = audiences if isinstance(audiences, list) else [audiences]
    for credential in record.federated:
        if (
            credential["issuer"] == claims.get("iss")
            and credential["subject"] == claims.get("sub")
            and credential["audience"] in audiences
        ):
            return None
    return _entra_error(
        400,
        "invalid_client",
        70021,
        "No matching federated identity record found for presented assertion. Assertion "
        f"Issuer: '{claims.get('iss')}'. Assertion Subject: '{claims.get('sub')}'. Assertion "
        f"Audience: '{claims.get('aud')}'.",
    )


# -- managed identities (App Service protocol) ---------------------------------------------


@route("GET", "/msi/token", kind="token")
def managed_identity_token(req: Request) -> Response:
    expected = req.sim.settings.get("identity_header")
    if req.headers.get("X-IDENTITY-HEADER") != expected:
        return Response(401, {"statusCode": 401, "message": "Invalid X-IDENTITY-HEADER."})
    resource = req.query.get("resource", "")
    if not resource:
        return Response(400, {"statusCode": 400, "message": "Required parameter 'resource'."})
    record = _select_identity(req)
    if record is None:
        return Response(
            400,
            {
                "statusCode": 400,
                "message": "No managed identity found for the specified parameters.",
            },
        )
    req.log_principal = record.client_id
    lifetime = req.sim.tokens.lifetime
    token = req.sim.tokens.issue(record, resource, lifetime)
    return Response.ok(
        {
            "access_token": token,
            "expires_on": str(int(time.time()) + lifetime),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": record.client_id,
        }
    )


def _select_identity(req: Request) -> PrincipalRecord | None:
    identities = [p for p in req.sim.principals.all() if p.kind == "ManagedIdentity"]
    client_id = req.query.get("client_id")
    object_id = req.query.get("object_id") or req.query.get("principal_id")
    resource_id = req.query.get("mi_res_id") or req.query.get("msi_res_id")
    for record in identities:
        if client_id and record.client_id.lower() == client_id.lower():
            return record
        if object_id and record.object_id.lower() == object_id.lower():
            return record
        if resource_id and (record.resource_id or "").lower() == resource_id.lower():
            return record
    if not (client_id or object_id or resource_id) and len(identities) == 1:
        return identities[0]
    return None


# -- the default principal -----------------------------------------------------------------


def ensure_default_principal(sim: Any, directory: Path) -> PrincipalRecord:
    """The service principal env.sh names: secret, certificate and federated credential.

    Also points the token service at the settings the admin API's `/_sim/tokens` changes."""
    sim.tokens.settings = sim.settings
    certificate = ClientCertificate.load_or_create(directory / "client-cert.pem", "azsim-client")
    record = sim.principals.by_client_id(sim.default_client_id or "")
    if record is None:
        record = PrincipalRecord(
            client_id=str(uuid.uuid4()),
            object_id=str(uuid.uuid4()),
            tenant_id=sim.tenant_id,
            display_name="azsim-default",
            secret=secrets.token_urlsafe(32),
        )
    record.certificate_pems = [certificate.pem]
    record.certificate_thumbprints = [certificate.sha1_thumbprint]
    record.federated = [
        {"issuer": FEDERATED_ISSUER, "subject": FEDERATED_SUBJECT, "audience": FEDERATED_AUDIENCE}
    ]
    with sim.transaction():
        sim.principals.add(record)
        sim.settings.set("default_client_id", record.client_id)
        if sim.settings.get("identity_header") is None:
            sim.settings.set("identity_header", secrets.token_urlsafe(24))
    return record
