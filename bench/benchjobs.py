"""Job functions for the benches (workers import them by dotted path)."""


def noop(i):
    return i
