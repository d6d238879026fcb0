"""Per-recipient marks: Tardos codes, calibrated statistics, per-kind embedding, trace."""
