"""WAF enforcement: one writer keeps the IP sets and the tenant pattern set equal to
the active decisions (DESIGN.md §4). Pure planning (aggregate, capacity, shard,
tenants) is separate from the AWS calls (sets) and the run that ties them (enforcer)."""
