"""``python -m flows`` is the ``exnews`` command."""

from flows.cli import app

app(prog_name="exnews")
