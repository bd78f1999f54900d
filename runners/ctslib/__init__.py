"""The netipc-cts command-line tools (standard library only)."""
