"""Adapters: everything that talks to the outside (database and models, Redis and RQ, Twilio,
the ATS, interview platforms), each external system behind a ``typing.Protocol`` where it has
more than one implementation."""
