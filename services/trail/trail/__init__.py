"""The cross-agency trail: every lifecycle event of every case, for auditors and operators."""
