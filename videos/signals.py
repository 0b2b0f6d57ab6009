"""Signals other apps hook into (webhooks, metrics) without the domain importing them."""

from django.dispatch import Signal

# Sent once, after the transaction commits, when a job reaches completed, failed or canceled.
# kwargs: job (VideoJob, with owner and video loaded)
job_finished = Signal()
