"""Data the demo ships with: research transcripts recorded against the local fakes, and a
small instruments master (authored, in Kite's CSV format)."""

from pathlib import Path

TRANSCRIPTS = Path(__file__).with_name("transcripts")
INSTRUMENTS_CSV = Path(__file__).with_name("instruments.csv")
