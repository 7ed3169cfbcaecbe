"""taskyard: an experiment-tracking server that speaks the ClearML server HTTP API."""

__version__ = "0.1.0"
