"""Emulator of the Stripe API for integration tests: one module per resource and per concern."""
