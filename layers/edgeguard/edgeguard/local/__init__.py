"""The local cloud: the whole suite on one machine, no AWS account (moto in-process)."""
