"""Keyboard review in the window: correct, confirm, dismiss and restore, statuses, F8 through the values to
check, undo and redo. Every write goes through the review service (one transaction, one change with its
inverse); this class only decides what the keys mean and shows the result."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QInputDialog, QMessageBox

from imrdesk.record import check_queue, field_label, findings_at, get_value, panel_order, subject, why_doubted
from imrdesk.services.review import Change, History, Picked, ReviewService
from imrdesk.store import StoreError

from .plain import shown_as_written

if TYPE_CHECKING:  # pragma: no cover
    from .main_window import MainWindow


class ReviewFlow(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        # who the audit names: the reviewer's name from the settings (Edit › Reviewer name…), else the OS user
        self.service = ReviewService(window.store, user=self.reviewer_name() or None)
        # (path, page, boxes) of words selected on the page being put into that field: the value the
        # editor commits next for it is saved with where it was read (see page_selection.PageText.fill)
        self.picked: tuple[str, int, tuple] | None = None

    def reviewer_name(self) -> str:
        return str(self.window.settings.value("review/user", "") or "").strip()

    def ask_reviewer_name(self) -> None:
        """Edit › Reviewer name…: the name recorded with every correction, confirmation and status."""
        from imrdesk.store.audit import os_user

        current = self.reviewer_name() or os_user()
        name, ok = QInputDialog.getText(
            self.window, "Reviewer name", "Your name, as the audit trail records it:", text=current
        )
        if ok:
            name = " ".join(name.split())[:80]
            self.window.settings.setValue("review/user", name)
            self.service.user = name or None
            self._status(f"Changes are now recorded as {name or os_user()}.", 5000)

    # -------------------------------------------------------------- plumbing
    def _status(self, text: str, ms: int) -> None:
        self.window.statusBar().showMessage(text, ms)

    def _refused(self, exc: Exception, path: str | None = None, *, dialog: bool = False) -> None:
        message = str(exc).strip("'\"")
        self._status(message, 8000)
        w = self.window
        field = w.panel.field(path) if path else None
        if field is not None:
            field.revert()
        if dialog:
            QMessageBox.warning(w, "Value not saved", shown_as_written(message))

    def history(self) -> History | None:
        doc_id = self.window.doc_id
        return None if doc_id is None else self.service.history(doc_id)

    def _run(self, op, *args, path: str | None = None, dialog: bool = False) -> Change | None:
        try:
            change = op(*args)
        except (ValueError, KeyError, StoreError) as exc:  # a refused value; a read-only or full database
            self._refused(exc, path, dialog=dialog)
            return None
        if change is not None:
            self.window.show_change(change)
        return change

    # -------------------------------------------------------------- values
    def commit_value(self, path: str, value) -> None:
        """The panel committed an edited value: save it unless nothing changed."""
        w = self.window
        if w.record is None or w.doc_id is None or get_value(w.record, path) == value:
            return
        if self.picked is not None and self.picked[0] == path:
            value = Picked(value, self.picked[1], self.picked[2])
        if self.write_value(w.doc_id, path, value):
            self._status(f"Saved {field_label(path)}.", 2500)

    def write_value(self, doc_id: int, path: str, value, *, clear: bool = False) -> bool:
        """Write (or, with ``clear``, drop) a reviewer's value; False when refused (the message is shown)."""
        if clear:
            change = self._run(self.service.clear, doc_id, path, path=path, dialog=True)
        else:
            change = self._run(self.service.correct, doc_id, path, value, path=path, dialog=True)
        return change is not None

    def accept_value(self, path: str) -> bool:
        """Confirm a value: dismiss the findings about it, and record it as checked when it is still below
        the threshold (one undoable step); False when there was nothing to accept."""
        w = self.window
        if w.record is None or w.doc_id is None:
            return False
        change = self._run(self.service.confirm, w.doc_id, path)
        if change is None:
            return False
        self._status(f"{change.text}. Ctrl+Z takes it back.", 3000)
        return True

    def dismiss_finding(self, key: str) -> None:
        """The Dismiss button of a finding: the letter really says so (audited, undoable)."""
        w = self.window
        if w.record is None or w.doc_id is None:
            return
        found = [f for f in w.record.get("findings") or [] if f["key"] == key]
        if not found:
            return
        w.panel.commit_pending()
        if self._run(self.service.dismiss, w.doc_id, key) is not None:
            self._status(f"Finding on {subject(found[0]['path'])} dismissed. Ctrl+Z takes it back.", 4000)

    def restore_finding(self, key: str) -> None:
        """The Restore button of a dismissed finding: open it again (audited, undoable)."""
        w = self.window
        if w.doc_id is None:
            return
        found = [d for d in w.panel.dismissed if d["key"] == key]
        if not found:  # the button belongs to a dismissal the panel shows
            return
        if self._run(self.service.restore, w.doc_id, key) is not None:
            self._status(f"Finding on {subject(found[0]['path'])} open again.", 4000)

    # -------------------------------------------------------------- statuses
    def set_status(self, status: str) -> None:
        w = self.window
        if w.doc_id is None:
            return
        w.panel.commit_pending()
        self._run(self.service.set_status, w.doc_id, status)

    def toggle_flag(self) -> None:
        w = self.window
        if w.record is None or w.doc_id is None:
            return
        w.panel.commit_pending()
        self._run(self.service.toggle_flag, w.doc_id)

    # -------------------------------------------------------------- undo
    def undo(self) -> None:
        w = self.window
        if w.panel.revert_pending():
            return
        history = self.history()
        if history is not None and history.can_undo():
            change = self._run(history.undo)
            if change is not None:
                self._after_history(change, "Undone")

    def redo(self) -> None:
        history = self.history()
        if history is not None and history.can_redo():
            change = self._run(history.redo)
            if change is not None:
                self._after_history(change, "Redone")

    def _after_history(self, change: Change, what: str) -> None:
        if change.path:
            self.window.panel.focus_field(change.path)
        self._status(f"{what}: {change.text}.", 3000)

    # -------------------------------------------------------------- keyboard review
    def next_check(self, direction: int = 1) -> str | None:
        """Move the focus to the next (or previous) value to check; returns its path. Values a validation
        rule doubts come first, then the other low-confidence values (see :func:`check_queue`)."""
        w = self.window
        if w.record is None:
            return None
        queue = check_queue(w.record)
        if not queue and direction > 0 and self._continue_in_next_letter():
            return self.next_check(1)
        if not queue:
            self._status(
                "No values left to check in this letter — Ctrl+R marks it reviewed and opens the next.", 5000
            )
            return None
        current = w.panel.current_path()
        if current in queue:
            target = queue[(queue.index(current) + direction) % len(queue)]
        elif w.record.get("findings"):
            target = queue[0] if direction > 0 else queue[-1]
        else:  # no findings: the next one down the panel from where the reviewer is
            order = panel_order(w.record)
            rank = {p: i for i, p in enumerate(order)}
            here = rank.get(current, -1 if direction > 0 else len(order))
            if direction > 0:
                target = next((p for p in queue if rank.get(p, len(order)) > here), queue[0])
            else:
                target = next((p for p in reversed(queue) if rank.get(p, len(order)) < here), queue[-1])
        w.panel.focus_field(target)
        n = len(queue)
        doubts = findings_at(w.record, target)
        why = why_doubted(w.record, target)
        if doubts:
            what = f"{field_label(target)}: {doubts[0]['message']}"
        elif why:
            what = f"{field_label(target)} ({'; '.join(why)})"
        else:
            what = field_label(target)
        hint = "Ctrl+Enter dismisses the finding" if doubts else "Ctrl+Enter accepts it"
        self._status(f"{what} — {n} value{'s' if n != 1 else ''} to check. {hint} and moves on.", 6000)
        return target

    def _continue_in_next_letter(self) -> bool:
        """F8 on a letter with nothing left to check goes on to the next letter of the list still to review
        that has something to check (the current letter stays as it is: Ctrl+R marks it reviewed)."""
        w = self.window
        target = w.documents.next_to_review(
            w.doc_id, with_checks=True
        )  # one SQL question, not a load a letter
        if target is None or not w.documents.select_doc(target) or w.doc_id != target:
            return False
        name = (w.record or {}).get("case_number") or "the next"
        self._status(f"Nothing left to check in the last letter: on to {name}.", 4000)
        return True

    def accept_and_next(self, path: str | None = None) -> None:
        """Accept the current value (or save the correction typed into it) and go to the next check:
        accepting a value a rule doubts dismisses the rule's finding (the reviewer has looked at the letter
        and the value stands). Once nothing is left to check, the next Ctrl+Enter marks the letter
        reviewed and opens the next."""
        w = self.window
        if w.record is None or w.doc_id is None:
            return
        had_checks = bool(check_queue(w.record))
        field = w.panel.focused_field()
        if field is not None and path in (None, field.path):
            if not field.commit():
                return  # invalid text: the message is shown, the focus stays
            path = field.path
        path = path or w.panel.current_path()
        if path:
            self.accept_value(path)
        if check_queue(w.record):
            self.next_check(1)
        elif had_checks:
            self._status(
                "Every value to check is checked. Ctrl+Enter again marks the letter reviewed "
                "and opens the next one.",
                8000,
            )
        else:
            self.mark_reviewed_and_next()

    def mark_reviewed_and_next(self) -> None:
        """Mark the letter reviewed and open the next letter of the list still to review (wrapping)."""
        w = self.window
        if w.doc_id is None or (w.record or {}).get("error"):
            return
        w.panel.commit_pending()
        reviewed = w.doc_id
        self.set_status("reviewed")
        name = (w.record or {}).get("case_number") or "The letter"
        target = w.documents.next_to_review(reviewed)  # in the list's order, from SQL
        if target is not None:
            w.documents.select_doc(target)
            self._status(f"{name} marked reviewed.", 4000)
        else:
            self._status(f"{name} marked reviewed — that was the last letter to review in this list.", 6000)
        q = w.documents.query()
        if q.status != "all" or q.sort == "status":  # a "To review" list lets the reviewed letter go
            w.documents.refresh()

    # -------------------------------------------------------------- many letters (the list's selection)
    def bulk(self, action: str, ids: list[int]) -> None:
        """Work on the letters selected in the list: statuses, flags with a reason, reading again,
        export, taking out of the dataset and putting back."""
        w = self.window
        if not ids:
            return
        w.panel.commit_pending()
        n = len(ids)
        letters = f"{n} letter{'s' if n != 1 else ''}"
        try:
            if action == "reviewed":
                result = self.service.set_status_many(ids, "reviewed")
                self._bulk_done(result, f"{len(result.done)} of {letters} marked reviewed")
            elif action == "flag":
                reason, ok = QInputDialog.getText(w, "Flag letters", f"Why flag {letters}? (kept as a note)")
                if ok:
                    result = self.service.set_status_many(ids, "flagged", reason=reason)
                    self._bulk_done(result, f"{len(result.done)} of {letters} flagged")
            elif action == "remove":
                result = self.service.remove(ids)
                self._bulk_done(result, f"{letters} removed from the dataset (Removed filter: put back)")
            elif action == "restore":
                result = self.service.restore_removed(ids)
                self._bulk_done(result, f"{letters} put back into the dataset")
            elif action == "reextract":
                w.files.reextract(ids)
            elif action == "export":
                w.files.export_dialog("xlsx", ids=ids)
        except (ValueError, KeyError, StoreError) as exc:
            self._refused(exc, dialog=True)

    def _bulk_done(self, result, text: str) -> None:
        w = self.window
        skipped = len(result.skipped)
        if skipped:
            text += f"; {skipped} could not be read and stayed as they were"
        w.documents.refresh()
        if w.doc_id is not None and w.documents.model.row_of(w.doc_id) < 0:
            w.close_document()
        elif w.doc_id is not None:
            w._reload(w.doc_id)
        self._status(text + ".", 6000)
