"""The paper broker, its price sources and the in-memory execution/ledger stores."""

from desk.adapters.paper.broker import PaperBroker
from desk.adapters.paper.memory import InMemoryExecutionRepository, InMemoryPaperLedger
from desk.adapters.paper.prices import BrokerPriceSource, ManualPriceSource, SeededPriceSource

__all__ = [
    "BrokerPriceSource",
    "InMemoryExecutionRepository",
    "InMemoryPaperLedger",
    "ManualPriceSource",
    "PaperBroker",
    "SeededPriceSource",
]
