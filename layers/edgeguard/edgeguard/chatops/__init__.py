"""Two-way Telegram: the circuit breaker from the chat (commands and alert buttons).

- ``updates``: Telegram's Update JSON (Message, CallbackQuery) read into ``Incoming``.
- ``auth``: the webhook's secret-token check (constant time) and the allowed chats/users.
- ``commands``: the chat's commands parsed and validated as the CLI does, run on the
  breaker (``edgeguard.breaker.service``: the same code as ``edgeguard block``).
- ``audit``: who did what, one DynamoDB item per update.
- ``service``: the webhook (a Lambda function URL request in, an HTTP answer out).
"""
