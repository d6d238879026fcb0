"""Enforcement: incidents opened from traces, breach notices drafted from editable templates,
and the case file counsel takes away (verified offline by `hallmark verify-bundle`)."""
