"""The emergency circuit breaker: validate, record, audit and announce a block or lift."""
