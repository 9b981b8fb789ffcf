"""Receptionist: a self-hosted phone and SMS receptionist for hiring.

Layers (see ../shared/DESIGN.md): ``engine`` (pure flow, interpreters), ``services``
(one use case, one transaction), ``adapters`` (database, Twilio, Redis), ``web`` and
``cli`` (thin entrypoints).
"""
