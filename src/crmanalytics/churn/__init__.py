"""churn."""

__all__: list[str] = []
