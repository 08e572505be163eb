"""The decoding grid: every combination, length penalties only for beams."""
from lib.decoding.prediction import DecodeConfig
from lib.tune_decoding import grid


def test_grid_covers_every_combination_and_skips_penalties_for_greedy():
    configs = grid(DecodeConfig(length_penalty=1.0), beams=[1, 5], min_lens=[0, 10], penalties=[0.5, 1.5])
    seen = {(c.beam_size, c.min_len, c.length_penalty) for c in configs}
    assert seen == {(1, 0, 1.0), (1, 10, 1.0), (5, 0, 0.5), (5, 0, 1.5), (5, 10, 0.5), (5, 10, 1.5)}
    assert len(configs) == len(seen)
