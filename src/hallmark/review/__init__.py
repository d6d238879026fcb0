"""Agreement review: extract text, find clauses, report what is missing and what is risky."""
