"""Imported first by every SDK scenario script: no internet, and a JSON result line.

The SDK checks updates.clear.ml once per process from `Task.init`; marking the check as done
keeps the test offline (the check has no switch of its own).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from clearml.utilities.check_updates import CheckPackageUpdates

CheckPackageUpdates._package_version_checked = True


def result(**values: Any) -> None:
    """The scenario's outcome, as the last line of stdout (read by the test)."""
    from clearml.backend_api import Session

    values["api_version"] = str(Session.api_version)
    sys.stdout.write("RESULT " + json.dumps(values, default=str) + "\n")
    sys.stdout.flush()
