"""The offline local engine: CPU-only image operations that need no AI service."""

from .engine import LocalEngine

__all__ = ["LocalEngine"]
