"""The built-in ATS (tables in our own database) and the record store it shares with mirrors.

:class:`RecordStore` keeps candidate records of one ``source`` in ``ats_records`` with their
phones and emails in ``ats_contacts`` (indexed by value: a lookup is one index probe per
contact, whatever the number of records) and their applications. The built-in ATS is a
store of source ``builtin:{company}``; a Greenhouse mirror is a store of source
``greenhouse:{company}`` refreshed by ``services.ats_mirror``.

This is an adapter that happens to live in our database: each call is its own short
transaction, as a call to a remote ATS would be.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from .ats import ATSApplication, ATSCandidate, ATSError, ATSJob, normal_email
from .db import Database
from .models import ATSContact, ATSNote, ATSRecord, ATSRecordApplication, Company, Posting, utcnow

_OLDEST = dt.datetime.min.replace(tzinfo=dt.timezone.utc)


def by_recent_activity(candidates: Iterable[ATSCandidate]) -> list[ATSCandidate]:
    """Most recent activity first, then ATS id descending (numeric ids as numbers: "23" before
    "9"): the same order every time."""
    return sorted(candidates, key=lambda c: (c.last_activity_at or _OLDEST, len(c.ats_id), c.ats_id), reverse=True)


# The lookup, one statement built once (``RecordStore.find``): the records whose contacts
# hold one of the values, each with all its contacts and applications (a small product).
_FIND = (select(ATSRecord.id, ATSRecord.source, ATSRecord.ats_id, ATSRecord.name, ATSRecord.last_activity_at,
                ATSContact.id, ATSContact.kind, ATSContact.value, ATSRecordApplication.id, ATSRecordApplication.ats_id,
                ATSRecordApplication.job_id, ATSRecordApplication.job_title, ATSRecordApplication.stage,
                ATSRecordApplication.applied_at, ATSRecordApplication.last_activity_at, ATSRecordApplication.active)
         .join(ATSContact, ATSContact.record_id == ATSRecord.id)
         .outerjoin(ATSRecordApplication, ATSRecordApplication.record_id == ATSRecord.id)
         .where(ATSRecord.id.in_(select(ATSContact.record_id).where(
             ATSContact.value.in_(bindparam("values", expanding=True))))))


class RecordStore:
    """Candidate records of one ``source`` in our database (see the module docstring)."""

    def __init__(self, database: Database, source: str):
        self.database, self.source = database, source

    def _reading(self):
        """A connection of its own in autocommit: one statement needs no transaction (BEGIN
        and COMMIT would be two more round trips to a server; on SQLite, the write lock)."""
        return self.database.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def lookup(self, *, phone: str | None, email: str | None) -> list[ATSCandidate]:
        """:meth:`find` on its own autocommit connection."""
        with self._reading() as conn:
            return self.find(conn, phone=phone, email=email)

    def find(self, conn, *, phone: str | None, email: str | None) -> list[ATSCandidate]:
        """Records with the E.164 ``phone`` or the ``email`` (either), most recent activity first;
        ``conn`` a Connection or a Session.

        One Core query (no ORM objects: ``bench/ats.py`` times it among a million records):
        index probes on ``ix_ats_contacts_value``, then the records' contacts and applications
        (contacts and applications in the order they were stored).
        """
        values = [v for v in (phone, normal_email(email)) if v]
        if not values:
            return []
        found: dict[int, dict] = {}
        conn = conn.connection() if isinstance(conn, Session) else conn
        for row in conn.execute(_FIND, {"values": values}):  # Core: no ORM objects
            # The source is filtered here, not in SQL: with it in the WHERE clause SQLite's
            # planner scans the source's records instead of probing the contacts' index.
            if row[1] != self.source:
                continue
            record = found.setdefault(row[0], {"ats_id": row[2], "name": row[3], "last": row[4], "phone": {},
                                               "email": {}, "applications": {}})
            record[row[6]][row[5]] = row[7]
            if row[8] is not None:
                record["applications"][row[8]] = ATSApplication(*row[9:])
        return by_recent_activity(
            ATSCandidate(r["ats_id"], r["name"], *(tuple(v for _, v in sorted(r[k].items()))
                                                   for k in ("phone", "email", "applications")), r["last"])
            for r in found.values())

    def synced_once(self) -> bool:
        """True once a sync has stored a record of this source (a mirror's lookups mean something)."""
        with self._reading() as conn:
            return conn.execute(select(ATSRecord.id).where(ATSRecord.source == self.source,
                                                           ATSRecord.synced_at.is_not(None)).limit(1)).first() is not None

    def record_id(self, conn: Connection, ats_id: str) -> int:
        """The row id of record ``ats_id``; raises a permanent ATSError when there is none."""
        found = conn.execute(_RECORD_ID, {"source": self.source, "ats_id": ats_id}).scalar()
        if found is None:
            raise ATSError(f"{self.source}: no candidate {ats_id!r}", retryable=False)
        return found

    def upsert(self, session: Session, candidate: ATSCandidate, synced_at: dt.datetime | None = None) -> ATSRecord:
        """Store ``candidate`` as it is in the ATS (contacts and applications replaced).
        ``synced_at``: the sync that read it (the next sync's watermark); None for a record
        we wrote ourselves, which must not move the watermark."""
        record = session.scalars(select(ATSRecord).filter_by(source=self.source, ats_id=candidate.ats_id)
                                 ).one_or_none()
        if record is None:
            record = ATSRecord(source=self.source, ats_id=candidate.ats_id)
            session.add(record)
        else:
            session.execute(delete(ATSContact).where(ATSContact.record_id == record.id))
            session.execute(delete(ATSRecordApplication).where(ATSRecordApplication.record_id == record.id))
            session.expire(record, ["contacts", "applications"])
        record.name = candidate.name[:200]
        record.last_activity_at = candidate.last_activity_at
        record.synced_at = synced_at or record.synced_at
        session.flush()
        values = dict.fromkeys([("phone", p) for p in candidate.phones] + [("email", e) for e in candidate.emails])
        session.add_all(ATSContact(record_id=record.id, kind=k, value=v) for k, v in values)
        session.add_all(ATSRecordApplication(record_id=record.id, ats_id=a.ats_id, job_id=a.job_id,
                                             job_title=a.job_title[:200], stage=a.stage[:80], active=a.active,
                                             applied_at=a.applied_at, last_activity_at=a.last_activity_at)
                        for a in candidate.applications)
        session.flush()
        return record

    def add_application(self, session: Session, ats_id: str, a: ATSApplication) -> None:
        """Record ``a`` on the record ``ats_id`` when the store has it (a mirror learns our writes
        at once; the next sync brings the rest)."""
        record = session.scalars(select(ATSRecord).filter_by(source=self.source, ats_id=ats_id)).one_or_none()
        if record is not None:
            record.applications.append(ATSRecordApplication(
                ats_id=a.ats_id, job_id=a.job_id, job_title=a.job_title[:200], stage=a.stage[:80], active=a.active,
                applied_at=a.applied_at, last_activity_at=a.last_activity_at))
            record.last_activity_at = a.last_activity_at


class BuiltinATS:
    """The default :class:`~.ats.ATS`: candidates, applications and notes in our own tables,
    jobs are the company's open postings (an ATS job id is a posting key).

    Each operation is one short transaction of Core statements built once (no ORM: the
    writeback of a call runs five of them)."""

    def __init__(self, database: Database, company_slug: str):
        self.company_slug = company_slug
        self.store = RecordStore(database, f"builtin:{company_slug}")

    def _run(self, action):
        try:
            with self.store.database.engine.begin() as conn:
                return action(conn)
        except ATSError:
            raise
        except Exception as exc:  # the database is our ATS here: its outage is the ATS's
            raise ATSError(f"built-in ATS: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}",
                           retryable=True) from exc

    def find_candidates(self, *, phone: str | None = None, email: str | None = None) -> list[ATSCandidate]:
        try:
            return self.store.lookup(phone=phone, email=email)
        except Exception as exc:
            raise ATSError(f"built-in ATS: {type(exc).__name__}", retryable=True) from exc

    def open_jobs(self) -> list[ATSJob]:
        return self._run(lambda conn: [ATSJob(key, _title(title, key), location) for key, title, location
                                       in conn.execute(_OPEN_JOBS, {"slug": self.company_slug})])

    def create_candidate(self, *, name: str, phone: str | None, email: str | None) -> ATSCandidate:
        contacts = {"phone": phone, "email": normal_email(email)}
        name, now = (name or "")[:200], utcnow()

        def create(conn):
            # Our id is its ATS id: written "pending" first, as the row's id exists only then.
            record_id = conn.execute(_NEW_RECORD, {"source": self.store.source, "ats_id": "pending", "name": name,
                                                   "last_activity_at": now}).scalar_one()
            conn.execute(_SET_RECORD_ATS_ID, {"record_id": record_id, "ats_id": str(record_id)})
            _add_contacts(conn, record_id, contacts)
            return ATSCandidate(str(record_id), name, tuple(v for v in (contacts["phone"],) if v),
                                tuple(v for v in (contacts["email"],) if v), (), now)
        return self._run(create)

    def update_candidate(self, candidate_id: str, *, phone: str | None = None, email: str | None = None) -> None:
        def update_(conn):
            record_id = self.store.record_id(conn, candidate_id)
            have = set(conn.scalars(_CONTACT_VALUES, {"record_id": record_id}))
            _add_contacts(conn, record_id, {"phone": phone, "email": normal_email(email)}, have)
            conn.execute(_TOUCH_RECORD, {"record_id": record_id, "at": utcnow()})
        self._run(update_)

    def applications(self, candidate_id: str) -> list[ATSApplication]:
        return self._run(lambda conn: [ATSApplication(*row) for row in conn.execute(
            _APPLICATIONS, {"record_id": self.store.record_id(conn, candidate_id)})])

    def create_application(self, candidate_id: str, job_id: str) -> ATSApplication:
        def create(conn):
            record_id = self.store.record_id(conn, candidate_id)
            job = conn.execute(_OPEN_JOB, {"slug": self.company_slug, "key": job_id}).first()
            title = _title(job.title, job_id) if job is not None else job_id
            now = utcnow()
            row_id = conn.execute(_NEW_APPLICATION, {"record_id": record_id, "ats_id": "pending", "job_id": job_id,
                                                     "job_title": title[:200], "stage": "new", "active": True,
                                                     "applied_at": now, "last_activity_at": now}).scalar_one()
            conn.execute(_SET_APPLICATION_ATS_ID, {"row_id": row_id, "ats_id": str(row_id)})
            conn.execute(_TOUCH_RECORD, {"record_id": record_id, "at": now})
            return ATSApplication(str(row_id), job_id, title[:200], "new", now, now, True)
        return self._run(create)

    def add_note(self, candidate_id: str, text: str) -> None:
        self._run(lambda conn: conn.execute(_NEW_NOTE, {"record_id": self.store.record_id(conn, candidate_id),
                                                        "text": text}))

    def notes(self, candidate_id: str) -> list[str]:
        """The notes on ``candidate_id``, oldest first (for the recruiter, and tests)."""
        return self._run(lambda conn: list(conn.scalars(_NOTES, {"record_id": self.store.record_id(conn, candidate_id)})))


def _title(title: dict, key: str) -> str:
    """A posting's title as a job title: English, else its first language, else its key."""
    return title.get("en") or next(iter(title.values()), key)


def _add_contacts(conn: Connection, record_id: int, contacts: dict[str, str | None], have=frozenset()) -> None:
    """Add the non-empty ``contacts`` ({kind: value}) the record does not ``have`` yet, in one statement."""
    rows = [{"record_id": record_id, "kind": kind, "value": value} for kind, value in contacts.items()
            if value and value not in have]
    if rows:
        conn.execute(_NEW_CONTACT, rows)


_records, _contacts, _applications = ATSRecord.__table__, ATSContact.__table__, ATSRecordApplication.__table__
_RECORD_ID = select(_records.c.id).where(_records.c.source == bindparam("source"),
                                         _records.c.ats_id == bindparam("ats_id"))
_NEW_RECORD = insert(_records).returning(_records.c.id)
_SET_RECORD_ATS_ID = update(_records).where(_records.c.id == bindparam("record_id")).values(ats_id=bindparam("ats_id"))
_TOUCH_RECORD = (update(_records).where(_records.c.id == bindparam("record_id"))
                 .values(last_activity_at=bindparam("at")))
_NEW_CONTACT = insert(_contacts)
_CONTACT_VALUES = select(_contacts.c.value).where(_contacts.c.record_id == bindparam("record_id"))
_APPLICATIONS = (select(_applications.c.ats_id, _applications.c.job_id, _applications.c.job_title,
                        _applications.c.stage, _applications.c.applied_at, _applications.c.last_activity_at,
                        _applications.c.active)
                 .where(_applications.c.record_id == bindparam("record_id")).order_by(_applications.c.id))
_NEW_APPLICATION = insert(_applications).returning(_applications.c.id)
_SET_APPLICATION_ATS_ID = (update(_applications).where(_applications.c.id == bindparam("row_id"))
                           .values(ats_id=bindparam("ats_id")))
_NEW_NOTE = insert(ATSNote.__table__)
_NOTES = (select(ATSNote.__table__.c.text).where(ATSNote.__table__.c.record_id == bindparam("record_id"))
          .order_by(ATSNote.__table__.c.id))
_OPEN_JOBS = (select(Posting.key, Posting.title, Posting.location).join(Company, Company.id == Posting.company_id)
              .where(Company.slug == bindparam("slug"), Posting.is_open.is_(True)).order_by(Posting.id))
_OPEN_JOB = _OPEN_JOBS.where(Posting.key == bindparam("key"))
