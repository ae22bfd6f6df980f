"""SQL repositories: convert rows to domain dataclasses and back; no business rules."""
