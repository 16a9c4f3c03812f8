"""The command line: `pyskl <command>` (also `python -m pyskl`), thin parsers over library functions."""
