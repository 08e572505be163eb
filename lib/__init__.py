"""Text-to-Python seq2seq pipeline. The sub-packages mirror the pipeline, each importing only those above it:

common      params, atomic outputs, stage CLI, torch device/seed: shared by every stage
tokens      code <-> layout-keeping token sequences, docstring summaries, vocabularies
prepare     download, tokenize and split: mining functions, making pairs, leak-free splits
models      encoders, Bahdanau attention, decoders, the Seq2Seq models, batching, checkpoints
training    the training loop of the train_* stages and the throughput benchmark
decoding    batched greedy / beam search, the syntax constraint, <unk> replacement
evaluation  metrics, error taxonomy, the retrieval baseline, scoring a system
study       figures, attention interpretation and the report of the visualize stage
generate    try a trained model on docstrings of your own (python -m lib.generate)
"""
