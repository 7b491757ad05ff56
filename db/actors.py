"""Who is acting: every service function takes an Actor and checks it before touching data."""

from __future__ import annotations

from dataclasses import dataclass

from .vocabulary import Role


@dataclass(frozen=True)
class Actor:
    id: int | None
    username: str
    display_name: str
    role: Role | None  # None only for the system actor
    # A password chosen by somebody else: until it is replaced only "Mein Konto" opens.
    must_change_password: bool = False

    @property
    def is_system(self) -> bool:
        return self.role is None

    @classmethod
    def system(cls) -> Actor:
        """The command line and the demo loader: trusted code run by an operator on the server."""
        return cls(id=None, username="system", display_name="System", role=None)

    @classmethod
    def of(cls, user) -> Actor:  # type: ignore[no-untyped-def]
        return cls(id=user.id, username=user.username, display_name=user.display_name, role=user.role,
                   must_change_password=bool(user.must_change_password))
