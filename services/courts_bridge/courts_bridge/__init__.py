"""The courts bridge: judicial confirmation, litigation and enforcement, as a court reports them."""
