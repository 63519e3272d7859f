"""edgeguard's tools: what runs on an operator's or developer's machine, never in Lambda.

The ``edgeguard`` command (``cli``), the circuit breaker's back-ends that reach a
deployed stack or the local cloud (``backends``), the local cloud (``local``), the
demo (``demo``) and sample events and logs (``events``, ``log_samples``). It imports
the runtime package ``edgeguard``; the runtime package never imports it.
"""
