"""Alerts: what every automation publishes, and how it reaches people.

``alert`` is the structured alert and its SNS publication; ``service`` is the
Telegram notifier's logic, ``telegram_format`` renders alerts as Telegram HTML and
``telegram_client`` sends them.
"""
