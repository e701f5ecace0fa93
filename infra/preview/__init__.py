"""Offline preview: the real program under the SDK's mock monitor, captured and judged."""
