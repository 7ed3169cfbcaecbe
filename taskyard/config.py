"""Server settings. Every option can also come from `TASKYARD_<OPTION>` in the environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8008
    data_dir: Path = Path("taskyard-data")
    db: str = ""  # empty: SQLite inside data_dir
    workers: int = 1
    max_body_mb: int = 64
    watchdog_timeout_s: int = 7200
    watchdog_interval_s: int = 60
    upgrade: bool = True
    log_level: str = "warning"
    durability: str = "normal"  # normal | full (docs/durability.md)

    @property
    def db_url(self) -> str:
        return self.db or f"sqlite:///{(self.data_dir / 'taskyard.db').resolve()}"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def public_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"

    def to_env(self) -> dict[str, str]:
        """The environment that reproduces these settings in a worker process."""
        return {
            "TASKYARD_HOST": self.host,
            "TASKYARD_PORT": str(self.port),
            "TASKYARD_DATA_DIR": str(self.data_dir),
            "TASKYARD_DB": self.db_url,
            "TASKYARD_WORKERS": str(self.workers),
            "TASKYARD_MAX_BODY_MB": str(self.max_body_mb),
            "TASKYARD_WATCHDOG_TIMEOUT_S": str(self.watchdog_timeout_s),
            "TASKYARD_WATCHDOG_INTERVAL_S": str(self.watchdog_interval_s),
            "TASKYARD_LOG_LEVEL": self.log_level,
            "TASKYARD_DURABILITY": self.durability,
        }

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Settings:
        d = cls()
        return cls(
            host=env.get("TASKYARD_HOST", d.host),
            port=int(env.get("TASKYARD_PORT", d.port)),
            data_dir=Path(env.get("TASKYARD_DATA_DIR", str(d.data_dir))),
            db=env.get("TASKYARD_DB", d.db),
            workers=int(env.get("TASKYARD_WORKERS", d.workers)),
            max_body_mb=int(env.get("TASKYARD_MAX_BODY_MB", d.max_body_mb)),
            watchdog_timeout_s=int(env.get("TASKYARD_WATCHDOG_TIMEOUT_S", d.watchdog_timeout_s)),
            watchdog_interval_s=int(env.get("TASKYARD_WATCHDOG_INTERVAL_S", d.watchdog_interval_s)),
            log_level=env.get("TASKYARD_LOG_LEVEL", d.log_level),
            durability=env.get("TASKYARD_DURABILITY", d.durability),
        )
