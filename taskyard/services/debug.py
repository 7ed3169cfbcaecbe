"""debug.*: the unauthenticated liveness probe."""

from typing import Any

from taskyard.http.call import Call
from taskyard.http.registry import endpoint


@endpoint("debug.ping", auth=False)
def ping(call: Call) -> dict[str, Any]:
    """Liveness check; echoes the request data."""
    return {"msg": "ClearML server", **call.data}
