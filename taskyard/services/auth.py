"""auth.*: log in with a credential pair (or a token) and get a JWT plus the session cookie."""

from typing import Any

from pydantic import Field

from taskyard.http import auth
from taskyard.http.call import Call
from taskyard.http.registry import endpoint
from taskyard.http.validation import RequestModel


class LoginRequest(RequestModel):
    expiration_sec: int | None = Field(default=None, ge=1)


@endpoint("auth.login", request=LoginRequest)
def login(call: Call) -> dict[str, Any]:
    """A JWT for the caller; also set as the `clearml_token_basic` cookie."""
    req = call.req(LoginRequest)
    token, lifetime = auth.issue_token(call.app, call.identity, req.expiration_sec)
    call.set_cookies.append(
        f"{auth.COOKIE}={token}; Max-Age={lifetime}; Path=/; HttpOnly; SameSite=Lax"
    )
    return {"token": token}


@endpoint("auth.logout")
def logout(call: Call) -> dict[str, Any]:
    """Clear the session cookie."""
    call.set_cookies.append(f"{auth.COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
    return {}
