"""PostgreSQL statement parts that store a voice turn's transcript lines and reply from a
data-modifying CTE of the conversation (its ``UPDATE`` or ``INSERT ... RETURNING id``), so a
turn's writes are one round trip. Shared by ``services.calls`` (a call's start and plain
turns) and ``services.screening_end`` (the end of a screening); the row-by-row writers of
both channels are in ``services.conversations``.
"""
from __future__ import annotations

from sqlalchemy import ARRAY, Integer, Text, bindparam, func, insert, select, true

from ..adapters.models import CallTurn, Speaker, TranscriptLine


def lines_cte(conversation, now):
    """The INSERT of a turn's transcript lines into the conversation of the CTE
    ``conversation`` (its ``id``), as the CTE ``lines``: the lines bound as the arrays
    ``seqs``, ``speakers`` and ``texts`` (:func:`lines_params`), unnested (PostgreSQL's
    ``unnest`` of several arrays, "Array Functions"); ``now``, their time (an SQL expression)."""
    unnested = func.unnest(bindparam("seqs", type_=ARRAY(Integer)), bindparam("speakers", type_=ARRAY(Text)),
                           bindparam("texts", type_=ARRAY(Text))).table_valued("seq", "speaker", "text").render_derived()
    return insert(TranscriptLine.__table__).from_select(
        ["conversation_id", "seq", "speaker", "text", "at"],
        select(conversation.c.id, unnested.c.seq, unnested.c.speaker, unnested.c.text, now)
        .select_from(conversation).join(unnested, true())).cte("lines")


def lines_params(first: int, lines: list[tuple[Speaker, str]]) -> dict:
    """The parameters of :func:`lines_cte` for ``lines`` ((speaker, text) pairs) numbered on
    from line ``first`` (the transcript's line count before them): {"seqs", "speakers", "texts"}."""
    return {"seqs": list(range(first + 1, first + 1 + len(lines))), "speakers": [speaker.value for speaker, _ in lines],
            "texts": [text for _, text in lines]}


def reply_insert(conversation, now):
    """The INSERT of the turn's TwiML (bound as ``twiml``) for step ``step`` of the
    conversation of the CTE ``conversation``, at ``now`` (an SQL expression), returning its
    ``conversation_id`` (no row when the CTE has none): the statement the other CTEs hang on
    (PostgreSQL allows data-modifying CTEs at the top level only)."""
    turns_t = CallTurn.__table__
    return (insert(turns_t).from_select(["conversation_id", "step", "twiml", "created_at"],
                                        select(conversation.c.id, bindparam("step"), bindparam("twiml"), now))
            .returning(turns_t.c.conversation_id))
