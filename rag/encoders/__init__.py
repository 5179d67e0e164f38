"""The encoder stage: texts → L2-normalised vectors. :mod:`~rag.encoders.base` holds the
``Embedder`` protocol and model loading, one module per backend depends on it
(:mod:`~rag.encoders.onnx`, :mod:`~rag.encoders.openvino`, :mod:`~rag.encoders.gpu`, on
:mod:`~rag.encoders.batched`), and :mod:`~rag.encoders.load` picks one. The package imports
nothing itself."""
