"""Authentication: HTTP Basic credential pairs, Bearer JWTs and the session cookie."""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from typing import TYPE_CHECKING, Any

import jwt

from taskyard import __version__, errors
from taskyard.domain.identity import Identity
from taskyard.errors import ApiError
from taskyard.store import accounts
from taskyard.versions import MAX_VERSION

if TYPE_CHECKING:
    from taskyard.context import AppContext

COOKIE = "clearml_token_basic"
DEFAULT_EXPIRATION_S = 30 * 24 * 3600
MAX_EXPIRATION_S = 365 * 24 * 3600
_ALGORITHM = "HS256"


def _unauthorized(code: int, text: str) -> ApiError:
    return ApiError(401, code, text)


def _cookie_token(headers: dict[str, str]) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name in (COOKIE, "trains_token_basic") and value:
            return value
    return None


def authenticate(app: AppContext, headers: dict[str, str]) -> Identity:
    header = headers.get("authorization")
    if not header:
        token = _cookie_token(headers)
        if token is None:
            raise _unauthorized(20, "Unauthorized (missing credentials)")
        return identity_from_token(app, token)
    scheme, _, payload = header.partition(" ")
    if scheme == "Bearer":
        return identity_from_token(app, payload.strip())
    if scheme == "Basic":
        return identity_from_basic(app, payload.strip())
    raise _unauthorized(10, "Unauthorized (bad authentication header type)")


def identity_from_basic(app: AppContext, payload: str) -> Identity:
    try:
        decoded = base64.b64decode(payload, validate=True).decode("latin-1")
    except (binascii.Error, ValueError) as exc:
        raise _unauthorized(21, f"Unauthorized (malformed credentials) ({exc})") from None
    access_key, sep, secret = decoded.partition(":")
    if not sep:
        raise _unauthorized(21, "Unauthorized (malformed credentials) (expected key:secret)")
    with app.db.read() as tx:
        identity = accounts.identity_for_key(tx, access_key, secret)
    if identity is None:
        raise _unauthorized(
            22, "Unauthorized (invalid credentials) (failed to locate provided credentials)"
        )
    return identity


class _TokenCache:
    """Decoded tokens by their text: the signature check is done once per token per process."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.items: dict[str, tuple[Identity, float]] = {}

    def get(self, token: str) -> tuple[Identity, float] | None:
        return self.items.get(token)

    def put(self, token: str, identity: Identity, exp: float) -> None:
        if len(self.items) >= self.size:
            self.items.clear()
        self.items[token] = (identity, exp)


_tokens = _TokenCache()
# (database, access key) -> revocations_seen() when it was last found active (SQLite only)
_active: dict[tuple[str, str], int] = {}


def identity_from_token(app: AppContext, token: str) -> Identity:
    cached = _tokens.get(token)
    if cached is None:
        try:
            claims = jwt.decode(token, app.token_secret, algorithms=[_ALGORITHM])
            ident = claims["identity"]
            identity = Identity(
                ident["user"],
                ident["company"],
                ident.get("role", "user"),
                ident.get("user_name", ""),
                ident.get("company_name", ""),
                ident.get("key", ""),
            )
        except jwt.PyJWTError as exc:
            raise _unauthorized(30, f"Invalid token (invalid jwt token): reason={exc}") from None
        except (KeyError, TypeError):
            raise _unauthorized(
                30, "Invalid token (invalid jwt token): reason=bad claims"
            ) from None
        cached = (identity, float(claims["exp"]))
        _tokens.put(token, *cached)
    identity, exp = cached
    if exp < time.time():
        raise _unauthorized(30, "Invalid token (invalid jwt token): reason=Signature has expired")
    # Revocation takes effect at once: the credential behind the token must still be active.
    seen = accounts.revocations_seen(app.db)
    cache_key = (app.db.url, identity.access_key)
    if seen is None or _active.get(cache_key) != seen:
        with app.db.read() as tx:
            if not accounts.credential_active(tx, identity.access_key):
                raise _unauthorized(30, "Invalid token (credentials revoked)")
        if seen is not None:
            _active[cache_key] = seen
    return identity


def issue_token(app: AppContext, identity: Identity, expiration_s: int | None) -> tuple[str, int]:
    lifetime = min(expiration_s or DEFAULT_EXPIRATION_S, MAX_EXPIRATION_S)
    issued = int(time.time())
    claims: dict[str, Any] = {
        "identity": {
            "user": identity.user,
            "company": identity.company,
            "role": identity.role,
            "user_name": identity.user_name,
            "company_name": identity.company_name,
            "key": identity.access_key,
        },
        "iat": issued,
        "exp": issued + lifetime,
        "session_id": uuid.uuid4().hex,
        "env": "<unknown>",
        "api_version": str(MAX_VERSION),
        "server_version": __version__,
        "server_build": "taskyard",
        "feature_set": "basic",
    }
    return jwt.encode(claims, app.token_secret, algorithm=_ALGORITHM), lifetime


def check_credentials_exist(identity: Identity | None) -> Identity:
    if identity is None:
        raise errors.missing_credentials("missing credentials")
    return identity
