"""Domain rules: no HTTP and no SQL in here."""
