"""The SMS channel: inbound texts, the SMS screening agent, confirmation replies, consent
(STOP/START/HELP), reminders and nudges. It reuses the core (``receptionist``): the same
flow engine and interpreters, the outbox, the models."""
