"""association."""

__all__: list[str] = []
