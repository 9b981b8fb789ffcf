"""Adapters: everything that talks to the outside (database, Redis, Twilio)."""
