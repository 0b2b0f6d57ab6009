"""Measuring the engine and the service: `python manage.py benchmark` (see benchmarks/README.md).

torch is imported inside functions, as in videos/generation: the management command must be
importable by Django's command discovery without initialising CUDA.
"""
