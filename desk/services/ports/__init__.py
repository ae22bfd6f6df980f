"""Ports (``typing.Protocol``s) the services depend on, one module per capability.

Adapters in ``desk.adapters`` implement them; tests inject fakes that implement them too.
"""
