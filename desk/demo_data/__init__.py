"""Data the demo ships with: recorded research transcripts made against the local fakes."""

from pathlib import Path

TRANSCRIPTS = Path(__file__).with_name("transcripts")
