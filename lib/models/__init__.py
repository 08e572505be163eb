"""The seq2seq models: encoders, Bahdanau attention, decoders, Seq2Seq, batching of ids, checkpoints."""
