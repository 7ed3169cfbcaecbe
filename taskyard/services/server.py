"""server.*: what this server is."""

from typing import Any

from taskyard import __version__
from taskyard.http.call import Call
from taskyard.http.registry import endpoint
from taskyard.versions import MAX_VERSION, Version


@endpoint("server.info")
def info(call: Call) -> dict[str, Any]:
    """Server version, build and API version."""
    out: dict[str, Any] = {"version": __version__, "build": "taskyard", "commit": ""}
    if call.version >= Version(2, 8):
        out["uid"] = call.app.token_secret[:8]
    if call.version >= Version(2, 12):
        out["api_version"] = str(MAX_VERSION)
    return out
