"""Thin HTTP entrypoints: the Twilio webhooks (``web.twilio``; the SMS channel's inbound webhook
lives in ``sms_screening.web``) and, later, the recruiter API and pages."""
