"""Emulator of The Things Stack Enterprise tenant registry and Tenant Billing Server, for integration tests."""
