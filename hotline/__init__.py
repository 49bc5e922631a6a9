"""Composition root of the 12345 business-environment line (营商环境专线): settings, app factory, CLI."""
