"""Parties, due diligence, agreements, ownership, inventions and deadlines, the checklist."""
