"""Which provider the platform trusts: its issuer, the audience its tokens name, and where its
public keys are (a JWKS URL, an OpenID Connect provider's ``jwks_uri``, or a JWKS file).

Read from a service's configuration (``OIDC_*`` keys, set from ``DISPUTES_OIDC_*``); a
production deployment (``DEPLOYMENT`` = ``production``) refuses the development issuer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .development import DEVELOPMENT_ISSUER
from .keys import JwksFile, JwksUrl, KeySource
from .tokens import DEFAULT_LEEWAY_SECONDS, AccessPolicy, TokenVerifier

PRODUCTION = "production"


@dataclass(frozen=True)
class IdentitySettings:
    issuer: str
    audience: str
    jwks_url: str = ""
    jwks_file: str = ""
    leeway: float = DEFAULT_LEEWAY_SECONDS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> IdentitySettings:
        """The settings, checked; ``ValueError`` naming what is wrong."""
        settings = cls(issuer=str(config.get("OIDC_ISSUER") or ""),
                       audience=str(config.get("OIDC_AUDIENCE") or ""),
                       jwks_url=str(config.get("OIDC_JWKS_URL") or ""),
                       jwks_file=str(config.get("OIDC_JWKS_FILE") or ""),
                       leeway=float(config.get("OIDC_LEEWAY_SECONDS", DEFAULT_LEEWAY_SECONDS)))
        if not settings.issuer or not settings.audience:
            raise ValueError("sign-in: DISPUTES_OIDC_ISSUER and DISPUTES_OIDC_AUDIENCE must be set")
        if bool(settings.jwks_url) == bool(settings.jwks_file):
            raise ValueError("sign-in: set one of DISPUTES_OIDC_JWKS_URL and DISPUTES_OIDC_JWKS_FILE")
        if not 0 <= settings.leeway <= 300:
            raise ValueError("sign-in: DISPUTES_OIDC_LEEWAY_SECONDS between 0 and 300")
        if config.get("DEPLOYMENT") == PRODUCTION:
            if settings.issuer == DEVELOPMENT_ISSUER:
                raise ValueError("sign-in: production refuses the development issuer; set "
                                 "DISPUTES_OIDC_ISSUER to the city's OpenID Connect provider")
            if settings.jwks_url and not settings.jwks_url.startswith("https://"):
                raise ValueError("sign-in: in production the JWKS URL must be https")
        return settings

    def keys(self) -> KeySource:
        return JwksUrl(self.jwks_url) if self.jwks_url else JwksFile(Path(self.jwks_file))

    def policy(self) -> AccessPolicy:
        return AccessPolicy(TokenVerifier(self.issuer, self.audience, self.keys(), self.leeway))
