"""``make bench``: performance figures, printed, never asserted."""
