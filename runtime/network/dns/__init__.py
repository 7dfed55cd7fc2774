"""The embedded DNS resolver (Docker's 127.0.0.11): name table, server process, control."""
