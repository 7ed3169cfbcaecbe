"""API services: one module per ClearML service, thin handlers over domain and store.

Every module in this package registers its endpoints on import; `load_all` imports them all.
"""

from __future__ import annotations

import importlib
import pkgutil


def load_all() -> None:
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
