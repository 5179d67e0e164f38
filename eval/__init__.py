"""Evaluation harness: gold questions, matching rules and metrics (see eval/MATCHING.md)."""
