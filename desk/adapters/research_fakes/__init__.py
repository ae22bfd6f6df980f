"""Local fake servers for the research loop: OpenRouter, Serper/CSE and a web site.

They speak the real wire formats so the real clients talk to them over 127.0.0.1.
"""
