"""The stand-in's certificate authority, server and client certificates, token-signing key."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KEY_SIZE = 2048
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _write_private(path: Path, data: bytes) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.write_bytes(data)


def load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key
    key = _new_key()
    _write_private(path, _key_pem(key))
    return key


def _validity() -> tuple[dt.datetime, dt.datetime]:
    now = dt.datetime.now(dt.UTC)
    return now - dt.timedelta(days=1), now + dt.timedelta(days=825)


@dataclass
class Authority:
    cert: x509.Certificate
    key: rsa.RSAPrivateKey
    cert_file: Path

    @classmethod
    def load_or_create(cls, directory: Path) -> Authority:
        cert_file, key_file = directory / "ca.pem", directory / "ca-key.pem"
        key = load_or_create_key(key_file)
        if cert_file.exists():
            cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
            if cert.public_key().public_numbers() == key.public_key().public_numbers():
                return cls(cert, key, cert_file)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "azsim local CA")])
        not_before, not_after = _validity()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        cert_file.write_bytes(_cert_pem(cert))
        return cls(cert, key, cert_file)

    def issue_server_pem(self, hosts: tuple[str, ...], key: rsa.RSAPrivateKey) -> bytes:
        """A server certificate for `hosts` (names or IP addresses), PEM with the CA after it."""
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        not_before, not_after = _validity()
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False
            )
            .sign(self.key, hashes.SHA256())
        )
        return _cert_pem(cert) + _cert_pem(self.cert)


def server_context(
    authority: Authority, directory: Path, name: str, hosts: tuple[str, ...]
) -> ssl.SSLContext:
    """A TLS server context for `hosts`; its certificate is made once and kept in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = directory / f"{name}.pem", directory / f"{name}-key.pem"
    key = load_or_create_key(key_file)
    if not _covers(cert_file, hosts, authority):
        cert_file.write_bytes(authority.issue_server_pem(hosts, key))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


def _covers(cert_file: Path, hosts: tuple[str, ...], authority: Authority) -> bool:
    if not cert_file.exists():
        return False
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    if cert.issuer != authority.cert.subject:
        return False
    if cert.not_valid_after_utc < dt.datetime.now(dt.UTC) + dt.timedelta(days=30):
        return False
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    present = {str(v) for v in san.get_values_for_type(x509.IPAddress)}
    present |= set(san.get_values_for_type(x509.DNSName))
    return all(
        str(ipaddress.ip_address(h)) in present if _is_ip(h) else h in present for h in hosts
    )


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass
class ClientCertificate:
    """A self-signed certificate a service principal logs in with."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey

    @classmethod
    def load_or_create(cls, path: Path, subject: str) -> ClientCertificate:
        if path.exists():
            data = path.read_bytes()
            key = serialization.load_pem_private_key(data, password=None)
            assert isinstance(key, rsa.RSAPrivateKey)
            return cls(x509.load_pem_x509_certificate(data), key)
        key = _new_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        not_before, not_after = _validity()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .sign(key, hashes.SHA256())
        )
        _write_private(path, _key_pem(key) + _cert_pem(cert))
        return cls(cert, key)

    @property
    def sha1_thumbprint(self) -> str:
        return hashlib.sha1(self.cert.public_bytes(serialization.Encoding.DER)).hexdigest()

    @property
    def pem(self) -> str:
        return _cert_pem(self.cert).decode()
