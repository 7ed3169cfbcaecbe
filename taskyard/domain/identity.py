"""Who is calling: the identity every handler receives."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    user: str
    company: str
    role: str
    user_name: str
    company_name: str
    access_key: str = ""

    @property
    def readable_companies(self) -> tuple[str, str]:
        """Reads see the caller's company plus public rows (company "")."""
        return (self.company, "")
