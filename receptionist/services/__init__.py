"""Use cases: each runs in one transaction of the unit of work (``services.unit_of_work``),
which every entrypoint (webhooks, jobs, CLI) goes through."""
