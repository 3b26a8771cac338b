"""The development issuer: for local use, the demo and the tests, it signs the tokens a city's
OpenID Connect provider would. Its key pair is made on first use (owner-only), and the
services read its public half as a JWKS file. Production refuses it (``config``).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from ..contract.agencies import Agency
from .roles import AGENCY_OF_ROLE, ROLES_WITH_STATION, Role

DEVELOPMENT_ISSUER = "urn:disputes:development-issuer"
DEFAULT_AUDIENCE = "disputes-platform"
KEY_FILE, JWKS_FILE = "dev-issuer-key.pem", "dev-issuer-jwks.json"


class DevelopmentIssuer:
    def __init__(self, directory: Path, audience: str = DEFAULT_AUDIENCE) -> None:
        self.directory = directory
        self.audience = audience

    @property
    def jwks_file(self) -> Path:
        return self.directory / JWKS_FILE

    def _private_key(self) -> ec.EllipticCurvePrivateKey:
        path = self.directory / KEY_FILE
        if not path.exists():
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.directory.chmod(0o700)
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            # Created owner-only, never widened: the key signs any role.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        if not self.jwks_file.exists():
            self._write_jwks(loaded)
        return loaded

    def _kid(self, key: ec.EllipticCurvePrivateKey) -> str:
        public = key.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        return str(uuid.uuid5(uuid.NAMESPACE_OID, public.hex()))

    def _write_jwks(self, key: ec.EllipticCurvePrivateKey) -> None:
        jwk: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(key.public_key()))
        jwk.update({"kid": self._kid(key), "alg": "ES256", "use": "sig"})
        temporary = self.jwks_file.with_suffix(".tmp")
        temporary.write_text(json.dumps({"keys": [jwk]}, indent=2))
        temporary.replace(self.jwks_file)

    def ensure_keys(self) -> Path:
        """Make the key pair if missing; the JWKS file the services read."""
        self._private_key()
        return self.jwks_file

    def issue(self, role: Role | str, subject: str | None = None, agency: Agency | str | None = None,
              station: str | None = None, minutes: float = 60, now: float | None = None) -> str:
        role = Role(role)
        expected = AGENCY_OF_ROLE[role]
        if agency is not None and expected is not None and Agency(agency) != expected:
            raise ValueError(f"a {role} works at {expected}, not {agency}")
        if role in ROLES_WITH_STATION and not station:
            raise ValueError(f"a {role} needs --station")
        key = self._private_key()
        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "iss": DEVELOPMENT_ISSUER, "aud": self.audience, "sub": subject or f"dev-{role}",
            "iat": issued, "nbf": issued, "exp": issued + int(minutes * 60), "roles": [str(role)],
        }
        if expected is not None:
            claims["agency"] = str(expected)
        if station:
            claims["station"] = station
        return jwt.encode(claims, key, algorithm="ES256", headers={"kid": self._kid(key)})
