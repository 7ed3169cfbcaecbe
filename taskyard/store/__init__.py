"""Storage: one SQL schema on SQLite (default) or PostgreSQL, behind `Database`."""
