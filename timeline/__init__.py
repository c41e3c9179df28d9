"""A device's story on its page: status changes, actions, edits, maintenance, scheduled
operations, notifications and notes."""
