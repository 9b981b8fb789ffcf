"""Developer tools: the call and text simulators (not imported by a web process).

    cli.py          the `call` and `text` Flask commands (entry point ``flask.commands``);
                    imports neither simulator until its command runs
    defaults.py     the defaults both commands and simulators use
    twilio_http.py  Twilio's side of HTTP both simulators share: signed webhooks, TwiML,
                    the phone base class, the error type, script-file reading
    call.py         the phone simulator (Voice webhooks, <Gather>, caller scripts)
    text.py         the SMS simulator (Messaging webhooks, outbox texts, texting scripts)

httpx, which the simulators need, is a development dependency (the ``dev`` extra).
"""
