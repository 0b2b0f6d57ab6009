"""The operators' view: Prometheus metrics, readiness, the staff dashboard, structured logs."""
