"""Thin HTTP entrypoints: Twilio webhooks (voice, SMS) and, later, the recruiter API."""
