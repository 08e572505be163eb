"""Docstring -> code with a trained model: batched greedy / beam search, the syntax constraint, <unk> replacement."""
