"""Lava processes netx adds or rebinds to fixed-point-only models (Lava backend)."""
