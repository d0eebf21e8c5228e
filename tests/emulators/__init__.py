"""Local emulators of cloud APIs used by the test suite (loopback only)."""
