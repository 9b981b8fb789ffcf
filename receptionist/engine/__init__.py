"""The pure core: the conversation flow, the agent's script, scoring and phrasing.

Nothing here imports Flask, a database session or a network client: both channels
(voice, SMS), the simulator and the tests drive the same code.
"""
