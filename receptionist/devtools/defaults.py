"""The simulators' defaults, in one module the commands can import without the simulators.

``receptionist.devtools.cli`` builds its options from these while importing neither the
simulators nor httpx; the simulators use the same values as their keyword defaults.
"""

DEFAULT_URL = "http://127.0.0.1:5000"  # `flask --app app serve` listens here
DEFAULT_FROM = "+12025550123"  # the simulated phone
DEFAULT_TO = "+12025550100"  # the sample company's receptionist (voice)
DEFAULT_SMS_TO = "+12025550101"  # the sample company's SMS screening agent

DEFAULT_OUTBOX_WAIT = 3.0  # seconds, after each text (one-shot and interactive modes)
SCRIPT_OUTBOX_WAIT = 10.0  # seconds an expect-outbox waits in script mode, unless --outbox-wait
