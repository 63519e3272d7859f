"""``edgeguard demo``: the suite's story told end to end on this machine."""
