"""Transport: routing, versions, the response envelope and authentication."""
