"""The window's one way to the services; see ``service.py`` for how to call it and how to listen."""
from .service import REQUESTS, ServiceBridge
from .signals import BridgeSignals

__all__ = ["BridgeSignals", "REQUESTS", "ServiceBridge"]
