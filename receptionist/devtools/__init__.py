"""Developer tools: the call and text simulators (not imported by a web process)."""
