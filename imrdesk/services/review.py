"""Review operations: every change a reviewer makes to a letter, as data, applied in ONE transaction, and
returned as a :class:`Change` that carries its own inverse — so undo and redo are generic and live here,
below any window (the model: Anki's collection operations returning ``OpChanges``).

An operation is an :class:`Edit`: values to set or clear, findings to dismiss or restore, a status to set.
:meth:`ReviewService.apply` writes it (one transaction; one audit row per fact written: a value, a
dismissal, a status) and returns the change with the edit that undoes it and the letter's effective record
afterwards, so a caller shows the result without reading the letter again.

The review rules that used to live in the window:

- The first value a reviewer writes on a *new* letter moves it to *in review*. That follows from the audited
  write, so it is not audited itself, and undoing the write leaves the letter in review.
- *Confirming* a value (Ctrl+Enter) dismisses the findings about it and, when the value is still below the
  review threshold, records it as the reviewer's value (a correction to the same value: audited, checked).
- A status set by hand (reviewed, flagged) is an edit of its own; undoing it gives the old status back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from ..record import field_label, findings_at, get_value, needs_check, subject
from ..record.types import Record
from ..store import CLEAR, Picked, Store

__all__ = ["CLEAR", "Bulk", "Change", "Edit", "History", "Picked", "ReviewService"]


@dataclass(frozen=True)
class Edit:
    """What to write to one letter, in one transaction (applied in this order: restore, dismiss, values,
    status)."""

    doc_id: int
    text: str  # for people: "Edit Decision date", "Dismiss finding on Age"
    path: str | None = None  # the value it is about: where the window puts the focus after undo/redo
    values: tuple[tuple[str, object], ...] = ()  # (path, value, Picked (read off the page) or CLEAR)
    dismiss: tuple[str, ...] = ()
    restore: tuple[str, ...] = ()
    status: str | None = None
    lenient: bool = False  # an undo: skip findings that no longer fire instead of refusing

    @property
    def empty(self) -> bool:
        return not (self.values or self.dismiss or self.restore or self.status)


@dataclass(frozen=True)
class Change:
    """An applied edit: what was written (``edit``, reduced to what actually changed), the edit that undoes
    it, the letter's status before, and its effective record after."""

    edit: Edit
    inverse: Edit
    status_before: str
    record: Record = field(repr=False)

    @property
    def doc_id(self) -> int:
        return self.edit.doc_id

    @property
    def path(self) -> str | None:
        return self.edit.path

    @property
    def text(self) -> str:
        return self.edit.text


@dataclass(frozen=True)
class Bulk:
    """What an operation on several letters did: the letters changed, and those it left alone (a letter
    that could not be read is never marked reviewed or flagged)."""

    done: tuple[int, ...]
    skipped: tuple[int, ...]


class ReviewService:
    """The review use cases over one store; ``user`` is recorded in the audit (default: the OS user)."""

    def __init__(self, store: Store, user: str | None = None) -> None:
        self.store = store
        self.user = user
        self._histories: dict[int, History] = {}

    # -------------------------------------------------------------- the generic operation
    def apply(self, edit: Edit) -> Change:
        """Write an edit in one transaction; ValueError (a value of the wrong shape, a finding that is not
        open) or KeyError (no such letter) leave the letter as it was."""
        s, doc_id, user = self.store, edit.doc_id, self.user
        with s.transaction() as tx:
            before = s.review_status(doc_id)
            restored = s.restore_findings(doc_id, edit.restore, user=user) if edit.restore else []
            dismiss = list(edit.dismiss)
            if dismiss and edit.lenient:
                open_keys = {f["key"] for f in s.record(doc_id).get("findings") or []}
                dismiss = [k for k in dismiss if k in open_keys]
            dismissed = s.dismiss_findings(doc_id, dismiss, user=user) if dismiss else []
            prior = s.write_values(doc_id, dict(edit.values), user=user) if edit.values else {}
            status = None
            if edit.status is not None:
                if before == "failed":
                    raise ValueError(
                        f"Letter #{doc_id} could not be read, so it cannot be marked {edit.status.replace('_', ' ')}: "
                        "import it again or remove it from the dataset."
                    )
                if edit.status != before:
                    s.set_status(doc_id, edit.status, user=user)
                    status = edit.status
            elif before == "new" and (prior or dismissed or restored):
                s.set_status(doc_id, "in_review", user=user, audited=False)  # follows from the write
            tx.touch(doc_id)
        record = tx.records.get(doc_id) or s.record(doc_id)
        done = replace(
            edit,
            values=tuple((p, v) for p, v in edit.values if p in prior),
            dismiss=tuple(dismissed),
            restore=tuple(restored),
            status=status,
            lenient=False,
        )
        inverse = Edit(
            doc_id,
            edit.text,
            edit.path,
            values=tuple((p, prior[p].correction) for p, _v in reversed(done.values)),
            dismiss=tuple(restored),
            restore=tuple(dismissed),
            status=before if status is not None else None,
            lenient=True,
        )
        return Change(done, inverse, before, record)

    # -------------------------------------------------------------- named operations
    def correct(self, doc_id: int, path: str, value) -> Change:
        """The reviewer's value for a field (audited; the extracted value is kept apart)."""
        return self._record(
            self.apply(Edit(doc_id, f"Edit {field_label(path)}", path, values=((path, value),)))
        )

    def clear(self, doc_id: int, path: str) -> Change:
        """Drop the reviewer's value: the extracted one is in force again."""
        return self._record(
            self.apply(Edit(doc_id, f"Revert {field_label(path)}", path, values=((path, CLEAR),)))
        )

    def confirm(self, doc_id: int, path: str) -> Change | None:
        """The value stands as the letter says: dismiss the findings about it and, when it is still below
        the review threshold, record it as checked. None when there was nothing to confirm."""
        with self.store.transaction():
            record = self.store.record(doc_id)
            keys = tuple(f["key"] for f in findings_at(record, path))
            if not keys and not needs_check(record, path):
                return None
            dismissed = self.apply(Edit(doc_id, "", path, dismiss=keys)) if keys else None
            after = dismissed.record if dismissed else record
            accept = path != "items" and needs_check(after, path)
            if accept:
                value = get_value(after, path)
                accepted = self.apply(Edit(doc_id, "", path, values=((path, value),)))
            if not keys and not accept:
                return None
        what = "Dismissed the finding on" if keys and not accept else "Accepted"
        text = f"{what} {subject(path)}"
        if dismissed and accept:
            change = Change(
                Edit(doc_id, text, path, values=accepted.edit.values, dismiss=dismissed.edit.dismiss),
                Edit(
                    doc_id,
                    text,
                    path,
                    values=accepted.inverse.values,
                    restore=dismissed.inverse.restore,
                    lenient=True,
                ),
                dismissed.status_before,
                accepted.record,
            )
        else:
            one = dismissed or accepted
            change = replace(one, edit=replace(one.edit, text=text), inverse=replace(one.inverse, text=text))
        return self._record(change)

    def dismiss(self, doc_id: int, key: str) -> Change:
        """The letter really says so: the finding stops doubting its value (audited, kept on re-reading)."""
        path = key.split(":", 1)[-1]
        return self._record(
            self.apply(Edit(doc_id, f"Dismiss finding on {subject(path)}", path, dismiss=(key,)))
        )

    def restore(self, doc_id: int, key: str) -> Change:
        """Open a dismissed finding again."""
        path = key.split(":", 1)[-1]
        return self._record(
            self.apply(Edit(doc_id, f"Restore finding on {subject(path)}", path, restore=(key,)))
        )

    def set_status(self, doc_id: int, status: str) -> Change:
        """Set the letter's review status (new, in_review, reviewed, flagged); audited."""
        return self.apply(Edit(doc_id, f"Mark {status.replace('_', ' ')}", status=status))

    def toggle_flag(self, doc_id: int) -> Change:
        """Flag a letter for a second look, or take the flag off (back to in review)."""
        flagged = self.store.review_status(doc_id) == "flagged"
        return self.set_status(doc_id, "in_review" if flagged else "flagged")

    # -------------------------------------------------------------- many letters at once
    def set_status_many(self, doc_ids: Iterable[int], status: str, *, reason: str | None = None) -> Bulk:
        """Set the status of several letters in one transaction (letters that could not be read are left
        as they are and reported); ``reason`` is added to each as a note (a flag's reason)."""
        done, skipped = [], []
        reason = (reason or "").strip()
        with self.store.transaction():
            for doc_id in dict.fromkeys(doc_ids):
                if self.store.review_status(doc_id) == "failed":
                    skipped.append(doc_id)
                    continue
                self.store.set_status(doc_id, status, user=self.user)
                if reason:
                    self.store.add_note(
                        doc_id, f"{status.replace('_', ' ').capitalize()}: {reason}", user=self.user
                    )
                done.append(doc_id)
        return Bulk(tuple(done), tuple(skipped))

    def remove(self, doc_ids: Iterable[int]) -> Bulk:
        """Take letters out of the dataset: lists, exports, figures and the SQL views leave them out; nothing
        is deleted and :meth:`restore_removed` puts them back (both audited)."""
        done = self.store.lists.remove(doc_ids, user=self.user)
        return Bulk(tuple(done), ())

    def restore_removed(self, doc_ids: Iterable[int]) -> Bulk:
        done = self.store.lists.remove(doc_ids, user=self.user, restore=True)
        return Bulk(tuple(done), ())

    # -------------------------------------------------------------- undo and redo
    def history(self, doc_id: int) -> History:
        """The letter's undo history (one per letter, kept while this service lives)."""
        if doc_id not in self._histories:
            self._histories[doc_id] = History(self)
        return self._histories[doc_id]

    def _record(self, change: Change) -> Change:
        if not change.edit.empty:
            self.history(change.doc_id).push(change)
        return change


class History:
    """A letter's undo and redo stacks of applied changes. Undo applies a change's inverse; redo applies
    the edit again (each through :meth:`ReviewService.apply`, so each is one audited transaction)."""

    def __init__(self, service: ReviewService) -> None:
        self.service = service
        self.done: list[Change] = []
        self.undone: list[Change] = []

    def push(self, change: Change) -> None:
        self.done.append(change)
        self.undone.clear()

    def can_undo(self) -> bool:
        return bool(self.done)

    def can_redo(self) -> bool:
        return bool(self.undone)

    def undo_text(self) -> str:
        return self.done[-1].text if self.done else ""

    def redo_text(self) -> str:
        return self.undone[-1].text if self.undone else ""

    def undo(self) -> Change | None:
        """Take the last change back; returns the change that did it (None: nothing to undo)."""
        if not self.done:
            return None
        change = self.done[-1]
        back = self.service.apply(change.inverse)
        self.done.pop()
        self.undone.append(change)
        return back

    def redo(self) -> Change | None:
        if not self.undone:
            return None
        change = self.undone[-1]
        again = self.service.apply(replace(change.edit, lenient=True))
        self.undone.pop()
        self.done.append(again)
        return again
