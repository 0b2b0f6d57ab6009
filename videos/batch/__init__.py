"""Batch jobs from files: readers, row validation, submission, following, reports, purge."""
