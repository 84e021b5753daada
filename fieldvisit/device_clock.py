"""The tablet's clock (issue 14, "A wrong tablet clock"; OFFLINE.md, three clocks).

A tablet measures its clock at each sync (the server's time comes with every receipt) and sends,
with each item, the offset it knew when the record was saved: `clock_offset_ms` = the central
record's time minus the tablet's time, in milliseconds (positive: the tablet is behind). The
server keeps the tablet's own times as they are (evidence) and judges "in the future" and "before
the visit" so that a wrong clock alone never rejects a record, while a time later than both the
tablet's clock and the server's is still refused. No Flask here: forms and domain functions ask
this module, and records.py sets the offset around an item's applier.
"""
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

# An offset beyond this is not a clock set wrong by days but nonsense: it is ignored (the item is
# judged by the server's clock alone, as an item with no offset is).
LARGEST_OFFSET_MS = 400 * 24 * 3600 * 1000
# A tablet clock further off than this is shown to the worker and to the team lead (the forms
# already allow 10 minutes' drift: visits.forms.CLOCK_TOLERANCE).
NOTICEABLE_MS = 5 * 60 * 1000

_offset_ms = ContextVar("fieldvisit_device_clock_offset_ms", default=0)


def offset_of(item):
    """The item's `clock_offset_ms` if it is a usable whole number of milliseconds, else None."""
    value = item.get("clock_offset_ms") if isinstance(item, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > LARGEST_OFFSET_MS:
        return None
    return value


@contextmanager
def judging_with(offset_ms):
    """Judge times inside this block against the tablet's clock too (offset None or 0: the server's only)."""
    token = _offset_ms.set(offset_ms or 0)
    try:
        yield
    finally:
        _offset_ms.reset(token)


def offset_ms():
    return _offset_ms.get()


def latest_now(now=None):
    """The later of the server's now and the tablet's now: a time after this is in the future by both clocks."""
    now = now or datetime.now()
    return max(now, now - timedelta(milliseconds=offset_ms()))


def latest_today(now=None):
    return latest_now(now).date()


def corrected(device_time, offset):
    """The tablet's ISO time moved by the offset onto the central record's clock (same form, same zone)."""
    moved = datetime.fromisoformat(device_time) + timedelta(milliseconds=offset)
    return moved.isoformat(timespec="milliseconds" if moved.microsecond else "seconds")


def dates_as_given_and_corrected(device_time):
    """The date of a time the tablet filled in, as given and as corrected by the offset in force."""
    given = datetime.fromisoformat(device_time)
    return {given.date(), (given + timedelta(milliseconds=offset_ms())).date()}


def describe(offset):
    """'3 days behind' / '2 hours ahead of' words for an offset in milliseconds."""
    off = abs(offset) / 1000
    for unit, seconds in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if off >= seconds:
            count = round(off / seconds)
            amount = f"{count} {unit}{'' if count == 1 else 's'}"
            break
    else:
        amount = f"{round(off)} seconds"
    return f"{amount} {'behind' if offset > 0 else 'ahead of'}"


def is_noticeable(offset):
    return offset is not None and abs(offset) > NOTICEABLE_MS
