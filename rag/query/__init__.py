"""The question stage, before retrieval and answering (it imports nothing of
:mod:`rag.answer`): what a question asks (:mod:`rag.query.plan`), what kind of answer it
expects and what such an answer looks like (:mod:`rag.query.expectations`), and whether the
corpus covers the names and dates it mentions (:mod:`rag.query.coverage`)."""
