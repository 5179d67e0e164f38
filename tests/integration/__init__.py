"""Integration tests: the session index and model, the app over a real index, subprocesses, the
LLM server."""
