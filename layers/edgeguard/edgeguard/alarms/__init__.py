"""Alarm-driven blocking (DESIGN.md §1 row 5): a WAF alarm in ALARM starts the
auto_block state machine, whose steps call collect (who set it off) and record
(decisions with origin alarm); both steps are thin Lambdas over this package."""
