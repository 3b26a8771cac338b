"""Verifying a bearer token as an OpenID Connect provider issues it: a JWT signed with RS256
or ES256 (never ``none``, never a shared secret), from the configured issuer, for the
platform's audience, not expired; and the person it names, with their roles.

The claims the platform reads besides the registered ones: ``roles`` (a list of ``Role``
values; a provider such as Keycloak maps its client roles to it), ``agency`` (optional; must be
the role's) and ``station`` (a mediation station, for mediators and station admins).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from jwt import PyJWK
from jwt.exceptions import (
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidSignatureError,
    MissingRequiredClaimError,
    PyJWTError,
)

from .keys import KeySource
from .refusals import Forbidden, Unauthenticated
from .roles import AGENCY_OF_ROLE, ROLES_WITH_STATION, Role, is_for_worker_with_code, is_open, may

# Asymmetric only: with HS256 anyone holding the public key could sign, and ``none`` is unsigned.
ALGORITHMS = ("RS256", "ES256")
DEFAULT_LEEWAY_SECONDS = 30  # clocks of the provider and the services differ a little
# A staff member's workbench sends one token with every command until it renews it: the
# people signed in to one service at a time are far fewer.
VERIFIED_TOKENS_KEPT = 4096


@dataclass(frozen=True)
class Person:
    """Who a verified token names."""

    subject: str
    roles: tuple[Role, ...]
    station: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Actor:
    """The person acting in one command, in the role that allowed it: what events record."""

    subject: str
    role: Role
    station: str | None = None  # a mediation station's staff: the station they act for

    def as_dict(self) -> dict[str, str]:
        """What a command's worker knows of its actor; events record the subject and role."""
        found = {"subject": self.subject, "role": str(self.role)}
        return found if self.station is None else {**found, "station": self.station}


@dataclass(frozen=True)
class _Verified:
    person: Person
    kid: str | None
    key: PyJWK  # the key that verified the token, as the key source gave it
    valid_until: float  # ``exp`` plus the leeway: as ``jwt.decode`` judges expiry


class TokenVerifier:
    """Verifies bearer tokens; one verified once is taken again without parsing it or checking
    its signature while it has not expired (with the leeway) and the key that verified it is
    still the one the issuer publishes under its kid (a rotated or withdrawn key refuses it).
    Kept by its SHA-256 digest, not as the token, the latest ``VERIFIED_TOKENS_KEPT``."""

    def __init__(self, issuer: str, audience: str, keys: KeySource,
                 leeway: float = DEFAULT_LEEWAY_SECONDS,
                 now: Callable[[], float] = time.time) -> None:
        self.issuer, self.audience, self.keys, self.leeway = issuer, audience, keys, leeway
        self._now = now
        self._verified: dict[bytes, _Verified] = {}

    def verify(self, token: str | None) -> Person:
        """The person the token names; ``Unauthenticated`` saying why not."""
        digest = hashlib.sha256(token.encode()).digest() if token else None
        if digest is not None and (seen := self._verified.pop(digest, None)) is not None \
                and self._now() < seen.valid_until and self.keys.key(seen.kid) is seen.key:
            self._verified[digest] = seen  # the latest used last
            return seen.person
        claims, kid, key = self._checked(token)
        person = person_of(claims)
        if digest is not None:
            if len(self._verified) >= VERIFIED_TOKENS_KEPT:
                del self._verified[next(iter(self._verified))]  # the least recently used
            self._verified[digest] = _Verified(person, kid, key, float(claims["exp"]) + self.leeway)
        return person

    def claims(self, token: str | None) -> dict[str, Any]:
        """The token's claims once its algorithm, signature, issuer, audience and times are
        checked (an OpenID Connect sign-in checks its ID token's nonce on them too)."""
        return self._checked(token)[0]

    def _checked(self, token: str | None) -> tuple[dict[str, Any], str | None, PyJWK]:
        """The claims, and the kid and key the token was verified with."""
        if not token:
            raise Unauthenticated("missing", "no bearer token")
        try:
            header = jwt.get_unverified_header(token)
        except PyJWTError:
            raise Unauthenticated("malformed", "not a JWT") from None
        if header.get("alg") not in ALGORITHMS:
            raise Unauthenticated("algorithm", f"tokens must be signed with {' or '.join(ALGORITHMS)}")
        kid = header.get("kid")
        key = self.keys.key(kid)
        if key.algorithm_name != header["alg"]:
            raise Unauthenticated("algorithm", "the token's algorithm is not its key's")
        try:
            claims = jwt.decode(
                token, key, algorithms=[header["alg"]], audience=self.audience, issuer=self.issuer,
                leeway=self.leeway, options={"require": ["exp", "iat", "iss", "aud", "sub"]})
        except ExpiredSignatureError:
            raise Unauthenticated("expired", "the token has expired") from None
        except InvalidIssuerError:
            raise Unauthenticated("issuer", "the token is from another issuer") from None
        except InvalidAudienceError:
            raise Unauthenticated("audience", "the token is for another audience") from None
        except InvalidSignatureError:
            raise Unauthenticated("signature", "the token's signature does not verify") from None
        except (MissingRequiredClaimError, ImmatureSignatureError) as exc:
            raise Unauthenticated("claims", str(exc)) from None
        except PyJWTError as exc:
            raise Unauthenticated("malformed", type(exc).__name__) from None
        return dict(claims), kid, key


def person_of(claims: dict[str, Any]) -> Person:
    raw_roles = claims.get("roles", [])
    if isinstance(raw_roles, str):
        raw_roles = [raw_roles]
    if not isinstance(raw_roles, list):
        raise Unauthenticated("claims", "roles must be a list")
    known = {r.value for r in Role}
    roles = tuple(Role(r) for r in raw_roles if r in known)  # other systems' roles: not ours
    agency = claims.get("agency")
    if agency is not None and any(AGENCY_OF_ROLE[r] not in (None, agency) for r in roles):
        raise Unauthenticated("claims", "a role of another agency than the token's")
    station = claims.get("station")
    if station is not None and not isinstance(station, str):
        raise Unauthenticated("claims", "station must be text")
    return Person(subject=str(claims["sub"]), roles=roles, station=station,
                  name=claims.get("name") if isinstance(claims.get("name"), str) else None)


def authorize(person: Person, service: str, command: str) -> Actor:
    """The actor (the person in the first of their roles that allows the command), or
    ``Forbidden``. A mediator or station admin needs a station."""
    for role in person.roles:
        if may(role, service, command) and (role not in ROLES_WITH_STATION or person.station):
            return Actor(person.subject, role,
                         person.station if role in ROLES_WITH_STATION else None)
    raise Forbidden("role", f"no role of this person may use {service}.{command}")


class AccessPolicy:
    """Verification and the roles table together: what a service asks about each call."""

    def __init__(self, verifier: TokenVerifier) -> None:
        self.verifier = verifier

    def admit(self, service: str, command: str, token: str | None) -> Actor | None:
        """None for an open command; else the acting person, or a refusal."""
        if is_open(service, command) or (token is None and is_for_worker_with_code(service, command)):
            return None
        return authorize(self.verifier.verify(token), service, command)
