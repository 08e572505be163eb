"""The study's figures, attention interpretation and report (stage visualize)."""
