"""Use cases shared by every entrypoint. They take a context of ports, never build resources."""
