"""The browser UI: a static single-page app served from the API process (see `serve`)."""
