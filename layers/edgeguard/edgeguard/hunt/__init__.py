"""Hunts: the detection scenarios as Athena (Trino) SQL over the whole log bucket."""
