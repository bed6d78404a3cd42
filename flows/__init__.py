"""Prefect flows that run the pipeline, and the ``exnews`` command line."""
