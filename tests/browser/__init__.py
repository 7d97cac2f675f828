"""End-to-end tests that drive a real Chromium against a live server."""
