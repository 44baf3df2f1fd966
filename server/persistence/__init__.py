"""Durability: the journal, the durable-mark clock and the writer lock."""
