"""End-to-end tests: the real proxy and sandbox processes on loopback."""
