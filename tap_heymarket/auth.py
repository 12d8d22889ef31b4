"""Heymarket credentials: a freshly minted HS256 JWT, or the legacy team key.

A JWT expires five minutes after its ``iat``; long syncs outlive many tokens, so a token is
re-minted once it is older than :data:`TOKEN_LIFETIME_SECONDS`, well before expiry. Minting
needs only ``hmac`` and ``hashlib``. Tokens and keys never leave this module except in the
``Authorization`` header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import typing as t

import requests

from tap_heymarket import clock

TOKEN_LIFETIME_SECONDS = 240  # the API rejects tokens older than 300 s


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def mint_jwt(secret_id: str, secret_key: str, issued_at: int) -> str:
    """Sign ``{"iss": secret_id, "iat": issued_at}`` with key ``secret_id||secret_key``."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps({"iss": secret_id, "iat": issued_at}, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    key = f"{secret_id}||{secret_key}".encode()
    signature = hmac.new(key, signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


class HeymarketAuth(requests.auth.AuthBase):
    """Sets ``Authorization: Bearer …`` on each request; thread-safe token renewal."""

    def __init__(self, config: t.Mapping[str, t.Any]) -> None:
        self._secret_id = config.get("api_secret_id")
        self._secret_key = config.get("api_secret_key")
        self._api_key = config.get("api_key")
        self._lock = threading.Lock()
        self._token: str | None = None
        self._minted_at = 0.0
        self.tokens_minted = 0

    @property
    def uses_jwt(self) -> bool:
        """True when the recommended secret pair is configured (it wins over the key)."""
        return bool(self._secret_id and self._secret_key)

    @property
    def setting_names(self) -> str:
        """The settings a user should check when credentials are rejected."""
        return "api_secret_id/api_secret_key" if self.uses_jwt else "api_key"

    def secrets(self) -> list[str]:
        """Every secret value this authenticator holds, for log redaction."""
        values = [self._secret_key, self._api_key, self._token]
        return [v for v in values if isinstance(v, str) and v]

    def bearer(self) -> str:
        """The credential to send now, minting a new JWT when the old one is ageing."""
        if not self.uses_jwt:
            return str(self._api_key)
        with self._lock:
            now = clock.wall()
            if self._token is None or now - self._minted_at >= TOKEN_LIFETIME_SECONDS:
                self._token = mint_jwt(str(self._secret_id), str(self._secret_key), int(now))
                self._minted_at = now
                self.tokens_minted += 1
            return self._token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Attach the bearer credential."""
        request.headers["Authorization"] = f"Bearer {self.bearer()}"
        return request
