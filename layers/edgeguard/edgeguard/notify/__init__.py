"""Alerts: what every automation publishes, and how it reaches people."""
