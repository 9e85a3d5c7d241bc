"""Rearranging layers as modules: PixelShuffle, PixelUnshuffle, ChannelShuffle."""

from __future__ import annotations

__all__: list[str] = []
