"""The analytics service: figures across cases and early warnings (数据研判预警)."""
