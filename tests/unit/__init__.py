"""Unit tests: no model, no session index, no served app. One folder per package of rag/
(core: its top-level modules), plus api/ and eval/."""
