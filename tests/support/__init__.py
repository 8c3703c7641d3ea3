"""Real test servers and helpers shared by the test packages."""
