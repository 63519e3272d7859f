"""``edgeguard replay --report``: bounded evidence while replaying, and the HTML page."""
