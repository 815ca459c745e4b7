"""The independent verifier behind ``agora verify`` (see ``record.py``): no code shared with the server."""

from agora.verifier.record import VerifyReport, verify_record

__all__ = ["VerifyReport", "verify_record"]
