"""Page-oriented pure functions, one module per page (plus the pieces several pages share)."""
