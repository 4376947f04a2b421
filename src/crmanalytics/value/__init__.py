"""value."""

__all__: list[str] = []
