"""Heymarket credentials: a freshly minted HS256 JWT, or the legacy team key.

A JWT expires five minutes after its ``iat``; long syncs outlive many tokens, so a token is
re-minted once it is older than :data:`TOKEN_LIFETIME_SECONDS`, well before expiry, and at
once when the API refuses it (:meth:`HeymarketAuth.renew`). Minting
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
from tap_heymarket.errors import endpoint, http_date, request_id

TOKEN_LIFETIME_SECONDS = 240  # the API rejects tokens older than 300 s
#: A server clock this far from ours explains a refused JWT (its ``iat`` is our time).
SKEW_SECONDS = 60


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
            return self._token

    def renew(self, refused: str) -> bool:
        """After a 401 on ``refused``: mint a fresh JWT now (once, however many callers saw it).

        False when there is nothing to renew (the legacy key). The fresh token never equals
        the refused one: minted in the same second it would, so it is dated a second earlier.
        """
        if not self.uses_jwt:
            return False
        with self._lock:
            if self._token == refused:
                now = clock.wall()
                token = mint_jwt(str(self._secret_id), str(self._secret_key), int(now))
                if token == refused:
                    token = mint_jwt(str(self._secret_id), str(self._secret_key), int(now) - 1)
                self._token, self._minted_at = token, now
            return True

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Attach the bearer credential."""
        request.headers["Authorization"] = f"Bearer {self.bearer()}"
        return request


def refusal(response: requests.Response, credentials: HeymarketAuth) -> str:
    """The line for a 401 that a fresh token did not cure: credentials, or the local clock.

    A JWT carries the local time; a server whose clock (its ``Date`` header) is a minute or
    more away from ours reads it as expired or not yet valid, whatever the secret pair.
    """
    where = f"HTTP 401 on {endpoint(response)}, X-Request-Id {request_id(response)}"
    server_time = http_date(response.headers.get("Date") or "")
    if credentials.uses_jwt and server_time is not None:
        skew = server_time - clock.wall()
        if abs(skew) >= SKEW_SECONDS:
            side = "behind" if skew > 0 else "ahead of"
            return (
                f"Heymarket refused the signed token ({where}): this machine's clock is "
                f"about {round(abs(skew), -1):.0f} s {side} the server's (its Date header), and a "
                "token is stamped with the local time; set the clock right (NTP), then check "
                "api_secret_id/api_secret_key"
            )
    return f"Heymarket rejected the credentials ({where}): check {credentials.setting_names}"
