"""Domain errors. Each carries a German message that a page can show as it is."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the programme was broken; nothing was changed."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # the form field the message belongs beside, if any


class ValidationError(DomainError):
    """Input that cannot be stored (empty required field, impossible date, …)."""


class TransitionError(DomainError):
    """A status change the workflow does not allow."""


class ConflictError(DomainError):
    """Somebody else changed the record since it was loaded (optimistic lock)."""

    def __init__(self, message: str, changed_by: str | None = None) -> None:
        super().__init__(message)
        self.changed_by = changed_by


class PermissionDenied(DomainError):
    """The acting user's role or ownership does not allow this.

    With `actor` and `entity` set (an attempt on a personal record), db.store.database writes an audit
    entry for the attempt after rolling back the transaction it happened in.
    """

    def __init__(self, message: str, field: str | None = None, *, actor: object = None,
                 entity: str | None = None, entity_id: int | None = None) -> None:
        super().__init__(message, field)
        self.actor = actor
        self.entity = entity
        self.entity_id = entity_id


class NotFound(DomainError):
    """The record does not exist (or is not visible to the acting user)."""
