"""Receptionist: a self-hosted phone and SMS receptionist for hiring.

Layers (see ../shared/DESIGN.md), data flowing one way, from an entrypoint down to the engine
and back out through adapters:

    engine/     pure: the flow (a reducer over frozen state, phases in one table), the
                vocabulary (str enums), interpreters, wording, knockout rules, FAQ matching
    services/   use cases over one unit of work (``services.unit_of_work``), the outbox
    adapters/   database and models, the RQ queue, Twilio (TwiML, SMS), ATS and interview
                platform contracts (``typing.Protocol``) with in-memory fakes
    jobs/       RQ jobs: the outbox dispatcher (one handler per kind), the periodic sweep
    web/        Flask: the Twilio webhooks (``web.twilio``)
    cli/        commands, each module registering its own; ``serve`` is the supervisor
    devtools/   the call and text simulators (entry-point commands, never imported by the web)
    bootstrap   the composition root: settings -> adapters -> app, jobs, sweeps
"""
