"""Record a research run's model exchanges and tool results; replay them with no network."""
