"""Twilio webhooks: voice (``/voice/*``) and SMS delivery status (``/sms/status``)."""
