"""Token vocabularies shared by the models: whole tokens, or identifier sub-words (lib/tokens/subwords.py)."""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from lib.tokens.subwords import split_tokens

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)
PAD_ID, BOS_ID, EOS_ID, UNK_ID = range(4)


class Vocabulary:
    """A list of tokens whose index is the id; the four specials come first.

    With `subwords`, the entries are identifier pieces and `encode` splits whole tokens into pieces first.
    """

    def __init__(self, tokens: Sequence[str], subwords: bool = False):
        self.subwords = subwords
        if tuple(tokens[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"a vocabulary must start with {SPECIALS}")
        self.itos = list(tokens)
        self.stoi = {token: index for index, token in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("a vocabulary must not repeat a token")

    @classmethod
    def build(cls, sequences: Iterable[Sequence[str]], min_freq: int, max_size: int,
              subwords: bool = False) -> Vocabulary:
        """The tokens (pieces, with `subwords`) seen at least `min_freq` times, most frequent first (ties by
        token), at most `max_size` entries in all, specials included."""
        split = (lambda tokens: split_tokens(tokens)[0]) if subwords else list  # noqa: E731
        counts = Counter(token for sequence in sequences for token in split(sequence))
        for special in SPECIALS:
            counts.pop(special, None)
        kept = sorted((t for t, n in counts.items() if n >= min_freq), key=lambda t: (-counts[t], t))
        return cls(list(SPECIALS) + kept[: max(max_size - len(SPECIALS), 0)], subwords)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def pieces(self, tokens: Sequence[str]) -> list[str]:
        """What the model reads for whole `tokens`: their sub-word pieces, or the tokens themselves."""
        return split_tokens(tokens)[0] if self.subwords else list(tokens)

    def encode(self, tokens: Sequence[str], bos_eos: bool = False) -> list[int]:
        """Ids of the pieces of whole `tokens`, UNK for unknown ones; wrapped in BOS ... EOS when asked."""
        ids = [self.stoi.get(token, UNK_ID) for token in self.pieces(tokens)]
        return [BOS_ID, *ids, EOS_ID] if bos_eos else ids

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Entries (pieces, with `subwords`) of `ids`, stopping at the first EOS and skipping PAD and BOS."""
        tokens = []
        for index in ids:
            if index == EOS_ID:
                break
            if index not in (PAD_ID, BOS_ID):
                tokens.append(self.itos[index])
        return tokens

    def oov_rate(self, sequences: Iterable[Sequence[str]]) -> float:
        """Share of the pieces (or tokens) of `sequences` that are not in the vocabulary."""
        total = unknown = 0
        for sequence in map(self.pieces, sequences):
            total += len(sequence)
            unknown += sum(token not in self.stoi for token in sequence)
        return unknown / total if total else 0.0


def save_vocabularies(path: Path, src: Vocabulary, tgt: Vocabulary) -> None:
    data = {"src": src.itos, "tgt": tgt.itos, "subwords": src.subwords}
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=0))


def load_vocabularies(path: Path) -> tuple[Vocabulary, Vocabulary]:
    """(source, target) vocabularies from `vocab.json`."""
    data = json.loads(Path(path).read_text())
    subwords = bool(data.get("subwords", False))
    return Vocabulary(data["src"], subwords), Vocabulary(data["tgt"], subwords)
