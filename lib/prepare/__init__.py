"""Data preparation (stages download, tokenize, split): sources of functions, pairs, leak-free splits."""
