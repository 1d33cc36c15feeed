"""Earth Forecast Studio engine."""
