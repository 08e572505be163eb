"""Token vocabularies shared by the three models."""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)
PAD_ID, BOS_ID, EOS_ID, UNK_ID = range(4)


class Vocabulary:
    """A list of tokens whose index is the id; the four specials come first."""

    def __init__(self, tokens: Sequence[str]):
        if tuple(tokens[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"a vocabulary must start with {SPECIALS}")
        self.itos = list(tokens)
        self.stoi = {token: index for index, token in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("a vocabulary must not repeat a token")

    @classmethod
    def build(cls, sequences: Iterable[Sequence[str]], min_freq: int, max_size: int) -> Vocabulary:
        """The tokens seen at least `min_freq` times, most frequent first (ties by token),
        at most `max_size` entries in all, specials included."""
        counts = Counter(token for sequence in sequences for token in sequence)
        for special in SPECIALS:
            counts.pop(special, None)
        kept = sorted((t for t, n in counts.items() if n >= min_freq), key=lambda t: (-counts[t], t))
        return cls(list(SPECIALS) + kept[: max(max_size - len(SPECIALS), 0)])

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def encode(self, tokens: Sequence[str], bos_eos: bool = False) -> list[int]:
        """Token ids, UNK for unknown tokens; wrapped in BOS ... EOS when asked."""
        ids = [self.stoi.get(token, UNK_ID) for token in tokens]
        return [BOS_ID, *ids, EOS_ID] if bos_eos else ids

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of `ids`, stopping at the first EOS and skipping PAD and BOS."""
        tokens = []
        for index in ids:
            if index == EOS_ID:
                break
            if index not in (PAD_ID, BOS_ID):
                tokens.append(self.itos[index])
        return tokens

    def oov_rate(self, sequences: Iterable[Sequence[str]]) -> float:
        """Share of tokens in `sequences` that are not in the vocabulary."""
        total = unknown = 0
        for sequence in sequences:
            total += len(sequence)
            unknown += sum(token not in self.stoi for token in sequence)
        return unknown / total if total else 0.0


def save_vocabularies(path: Path, src: Vocabulary, tgt: Vocabulary) -> None:
    Path(path).write_text(json.dumps({"src": src.itos, "tgt": tgt.itos}, ensure_ascii=False, indent=0))


def load_vocabularies(path: Path) -> tuple[Vocabulary, Vocabulary]:
    """(source, target) vocabularies from `vocab.json`."""
    data = json.loads(Path(path).read_text())
    return Vocabulary(data["src"]), Vocabulary(data["tgt"])
