"""The decoding grid: every combination, length penalties and rewards only for beams."""
from lib.decoding.prediction import DecodeConfig
from lib.tune_decoding import grid


def test_grid_covers_every_combination_and_skips_penalties_for_greedy():
    configs = grid(DecodeConfig(length_penalty=1.0), beams=[1, 5], min_lens=[0, 10], penalties=[0.5, 1.5])
    seen = {(c.beam_size, c.min_len, c.length_penalty) for c in configs}
    assert seen == {(1, 0, 1.0), (1, 10, 1.0), (5, 0, 0.5), (5, 0, 1.5), (5, 10, 0.5), (5, 10, 1.5)}
    assert len(configs) == len(seen)


def test_grid_adds_rewards_for_beams_and_unk_settings_for_all():
    base = DecodeConfig(length_penalty=1.0, length_reward=0.2, allow_unk=True)
    configs = grid(base, beams=[1, 5], min_lens=[30], penalties=[1.0], rewards=[0.0, 0.5], allow_unks=[True, False])
    seen = {(c.beam_size, c.length_reward, c.allow_unk) for c in configs}
    assert seen == {(1, 0.2, True), (1, 0.2, False), (5, 0.0, True), (5, 0.5, True), (5, 0.0, False),
                    (5, 0.5, False)}
    assert len(configs) == len(seen)
    assert {(c.length_reward, c.allow_unk) for c in grid(base, [5], [30], [1.0])} == {(0.2, True)}
