"""agora: online deliberation halls and Civil Code art. 278 votes for residential compounds."""

__version__ = "0.1.0"
