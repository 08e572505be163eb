"""Text-to-Python seq2seq pipeline: data, models, training, evaluation and reporting."""
