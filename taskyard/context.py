"""What every handler can reach: settings, the database and server-wide secrets."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from taskyard.config import Settings
from taskyard.store import accounts
from taskyard.store.db import Database


@dataclass
class AppContext:
    settings: Settings
    db: Database
    token_secret: str

    @classmethod
    def open(cls, settings: Settings) -> AppContext:
        db = Database(settings.db_url, durability=settings.durability)
        token_secret = accounts.setting(db, "token_secret", secrets.token_urlsafe(48))
        db.close()  # this thread's connection; serving threads open their own
        return cls(settings, db, token_secret)
