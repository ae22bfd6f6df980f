"""Pure domain core: dataclasses, rules and state machines. Imports the stdlib only."""
