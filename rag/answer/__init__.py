"""Answers with verified citations. The package imports nothing itself, so that its light
modules (:mod:`~rag.answer.registry`, :mod:`~rag.answer.options`) can be read by settings
without pulling in the composers:

- :mod:`~rag.answer.types`: ``Answer``, ``Citation``, ``Evidence``, the ``Composer`` protocol;
- :mod:`~rag.answer.render`: the JSON and text renderings shared by CLI and API;
- :mod:`~rag.answer.registry`: the composers by name (CLI, API, chat models, settings);
- :mod:`~rag.answer.options`: each composer's tuning knobs and their defaults;
- :mod:`~rag.answer.extractive` (default) and :mod:`~rag.answer.llm`: the composers;
- :mod:`~rag.answer.calibration`: ``confidence`` as a probability, fitted per embedding model;
- :mod:`~rag.answer.messages`: every sentence the service writes itself, per language;
- :mod:`~rag.answer.spans`: the short answer a factoid leads with ("À Moscou [1].");
- :mod:`~rag.answer.document_facts`: questions about a document answered from its card.
"""
