"""The index stage: passages and vectors → an index folder (:mod:`~rag.index.build`), its
format (:mod:`~rag.index.manifest`) and a loaded :class:`~rag.index.load.Index`; dense
(:mod:`~rag.index.dense`) and lexical (:mod:`~rag.index.lexical`) search behind the stores
of :mod:`rag.index.stores`. The package imports nothing itself, so that its light modules
(:mod:`~rag.index.analysis`) load no FAISS."""
