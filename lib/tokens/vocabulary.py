"""Token vocabularies shared by the models: whole tokens, or identifier sub-words (lib/tokens/subwords.py)."""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from lib.tokens.subwords import spell, spelling_alphabet, split_tokens

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)
PAD_ID, BOS_ID, EOS_ID, UNK_ID = range(4)


class Vocabulary:
    """A list of tokens whose index is the id; the four specials come first.

    With `subwords`, the entries are identifier pieces and `encode` splits whole tokens into pieces first; with
    `spelling` (target vocabularies), `encode` writes a word piece it lacks as its own pieces
    (lib/tokens/subwords.py, `spell`), so UNK is left for what cannot be spelled: strings, other literals and
    characters never seen in training.
    """

    def __init__(self, tokens: Sequence[str], subwords: bool = False, spelling: bool = False):
        if spelling and not subwords:
            raise ValueError("spelling needs sub-word pieces")
        self.subwords = subwords
        self.spelling = spelling
        self._spelled: dict[str, list[int]] = {}
        if tuple(tokens[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"a vocabulary must start with {SPECIALS}")
        self.itos = list(tokens)
        self.stoi = {token: index for index, token in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("a vocabulary must not repeat a token")

    @classmethod
    def build(cls, sequences: Iterable[Sequence[str]], min_freq: int, max_size: int,
              subwords: bool = False, spelling: bool = False) -> Vocabulary:
        """The tokens (pieces, with `subwords`) seen at least `min_freq` times, most frequent first (ties by
        token), at most `max_size` entries in all, specials included; with `spelling`, the one-character pieces of
        `spelling_alphabet` are always in (rare or not), so every word piece of `sequences` can be spelled."""
        split = (lambda tokens: split_tokens(tokens)[0]) if subwords else list  # noqa: E731
        counts = Counter(token for sequence in sequences for token in split(sequence))
        for special in SPECIALS:
            counts.pop(special, None)
        kept = sorted((t for t, n in counts.items() if n >= min_freq), key=lambda t: (-counts[t], t))
        room = max(max_size - len(SPECIALS), 0)
        if not spelling:
            return cls(list(SPECIALS) + kept[:room], subwords)
        alphabet = set(spelling_alphabet(sorted(counts)))
        others = [t for t in kept if t not in alphabet][: max(room - len(alphabet), 0)]
        return cls(list(SPECIALS) + sorted(alphabet | set(others), key=lambda t: (-counts[t], t)), subwords, spelling)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def pieces(self, tokens: Sequence[str]) -> list[str]:
        """What the model reads for whole `tokens`: their sub-word pieces, or the tokens themselves."""
        return split_tokens(tokens)[0] if self.subwords else list(tokens)

    def piece_ids(self, piece: str) -> list[int]:
        """The ids that write `piece`: its own id, or (with `spelling`) the ids of its spelling, else [UNK]."""
        if piece in self.stoi:
            return [self.stoi[piece]]
        if not self.spelling:
            return [UNK_ID]
        if piece not in self._spelled:
            spelled = spell(piece, self.stoi)
            self._spelled[piece] = [UNK_ID] if spelled is None else [self.stoi[p] for p in spelled]
        return self._spelled[piece]

    def encode(self, tokens: Sequence[str], bos_eos: bool = False) -> list[int]:
        """Ids of the pieces of whole `tokens` (`piece_ids`: unknown pieces spelled or UNK); wrapped in
        BOS ... EOS when asked."""
        ids = [i for piece in self.pieces(tokens) for i in self.piece_ids(piece)]
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
        """Share of the pieces (or tokens) of `sequences` that the vocabulary cannot write (`piece_ids`: UNK)."""
        total = unknown = 0
        for sequence in map(self.pieces, sequences):
            total += len(sequence)
            unknown += sum(self.piece_ids(token) == [UNK_ID] for token in sequence)
        return unknown / total if total else 0.0


def save_vocabularies(path: Path, src: Vocabulary, tgt: Vocabulary) -> None:
    data = {"src": src.itos, "tgt": tgt.itos, "subwords": src.subwords, "spelling": tgt.spelling}
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=0))


def load_vocabularies(path: Path) -> tuple[Vocabulary, Vocabulary]:
    """(source, target) vocabularies from `vocab.json`; only the target one spells."""
    data = json.loads(Path(path).read_text())
    subwords = bool(data.get("subwords", False))
    return Vocabulary(data["src"], subwords), Vocabulary(data["tgt"], subwords, bool(data.get("spelling", False)))
