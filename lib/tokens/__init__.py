"""Token sequences used by every model: code with its layout, docstring summaries, vocabularies."""
