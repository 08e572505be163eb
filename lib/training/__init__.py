"""Training (stages train_rnn, train_lstm, train_attn) and the training-throughput benchmark."""
