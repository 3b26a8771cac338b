"""Verifying a bearer token as an OpenID Connect provider issues it: a JWT signed with RS256
or ES256 (never ``none``, never a shared secret), from the configured issuer, for the
platform's audience, not expired; and the person it names, with their roles.

The claims the platform reads besides the registered ones: ``roles`` (a list of ``Role``
values; a provider such as Keycloak maps its client roles to it), ``agency`` (optional; must be
the role's) and ``station`` (a mediation station, for mediators and station admins).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt
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


class TokenVerifier:
    def __init__(self, issuer: str, audience: str, keys: KeySource,
                 leeway: float = DEFAULT_LEEWAY_SECONDS) -> None:
        self.issuer, self.audience, self.keys, self.leeway = issuer, audience, keys, leeway

    def verify(self, token: str | None) -> Person:
        """The person the token names; ``Unauthenticated`` saying why not."""
        return person_of(self.claims(token))

    def claims(self, token: str | None) -> dict[str, Any]:
        """The token's claims once its algorithm, signature, issuer, audience and times are
        checked (an OpenID Connect sign-in checks its ID token's nonce on them too)."""
        if not token:
            raise Unauthenticated("missing", "no bearer token")
        try:
            header = jwt.get_unverified_header(token)
        except PyJWTError:
            raise Unauthenticated("malformed", "not a JWT") from None
        if header.get("alg") not in ALGORITHMS:
            raise Unauthenticated("algorithm", f"tokens must be signed with {' or '.join(ALGORITHMS)}")
        key = self.keys.key(header.get("kid"))
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
        return dict(claims)


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
