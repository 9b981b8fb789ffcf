"""The pure core: the conversation flow, the vocabulary, the agent's script, interpreters,
knockout rules, FAQ matching and wording.

Nothing here imports Flask, a database session or a network client: both channels
(voice, SMS), the simulators and the tests drive the same code.
"""
