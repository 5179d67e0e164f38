"""The ingest stage: source files → documents → passages. :mod:`~rag.ingest.sources` reads a
file into text, :mod:`~rag.ingest.documents` cleans it into blocks (:mod:`~rag.ingest.cleaning`,
:mod:`~rag.ingest.layout`), :mod:`~rag.ingest.chunking` cuts passages (:mod:`~rag.ingest.roles`,
:mod:`~rag.ingest.sentences`); :mod:`~rag.ingest.cards` and :mod:`~rag.ingest.gazetteer` say
what each document and the corpus name. The package imports nothing itself."""
