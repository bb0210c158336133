"""SSH to boards: strict host keys, timeouts, one reused connection per board, content-addressed push."""
