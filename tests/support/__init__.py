"""Helpers shared by the tests and bench/: the fake embedder, a served app, rendered
sources (PDF, DOCX), the LLM server."""
