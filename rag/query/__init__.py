"""The question stage: what a question asks (:mod:`rag.question`, the plan) and whether the
corpus covers what it names (:mod:`rag.query.coverage`)."""
