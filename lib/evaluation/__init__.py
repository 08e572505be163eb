"""Scoring generated code (stage evaluate): metrics, error taxonomy, the retrieval baseline."""
