"""Answers with verified citations. The package imports nothing itself, so that its light
modules (:mod:`~rag.answer.registry`, :mod:`~rag.answer.options`,
:mod:`~rag.answer.expectations`) can be read by settings and question analysis without
pulling in the composers:

- :mod:`~rag.answer.types`: ``Answer``, ``Citation``, ``Evidence``, the ``Composer`` protocol;
- :mod:`~rag.answer.render`: the JSON and text renderings shared by CLI and API;
- :mod:`~rag.answer.registry`: the composers by name (CLI, API, chat models, settings);
- :mod:`~rag.answer.options`: each composer's tuning knobs and their defaults;
- :mod:`~rag.answer.extractive` (default) and :mod:`~rag.answer.llm`: the composers;
- :mod:`~rag.answer.calibration`: ``confidence`` as a probability, fitted per embedding model.
"""
