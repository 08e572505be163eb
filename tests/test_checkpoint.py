"""Checkpoints: self-describing, loadable on CPU, clear errors when missing or corrupt."""
import pytest
import torch

from lib.models.batching import collate
from lib.models.checkpoint import CheckpointError, checkpoint_payload, load_checkpoint, save_checkpoint
from lib.models.seq2seq import build_model
from lib.tokens.vocabulary import Vocabulary

SRC = Vocabulary(["<pad>", "<bos>", "<eos>", "<unk>"] + [f"s{i}" for i in range(12)])
TGT = Vocabulary(["<pad>", "<bos>", "<eos>", "<unk>"] + [f"t{i}" for i in range(20)])
CONFIG = {"kind": "attn", "emb_dim": 8, "hidden_dim": 16, "dropout": 0.1, "attention_dim": 8,
          "adaptive_cutoffs": [10], "lr": 0.01, "seed": 3}


def saved(tmp_path, kind="attn"):
    torch.manual_seed(0)
    config = {**CONFIG, "kind": kind, "num_layers": 2}
    model = build_model(kind, len(SRC), len(TGT), config)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    batch = collate([([4, 5, 2], [1, 6, 7, 2]), ([6, 2], [1, 8, 2])])
    model.loss(batch).backward()
    optimizer.step()
    path = tmp_path / "models" / f"{kind}.pt"
    save_checkpoint(path, checkpoint_payload(model, config, SRC, TGT, epoch=4, metrics={"best_valid_loss": 1.5},
                                             optimizer_state=optimizer.state_dict(), train_state={"history": []}))
    return model.eval(), batch, path


@pytest.mark.parametrize("kind", ["rnn", "lstm", "attn"])
def test_round_trip_gives_the_same_outputs_on_cpu(tmp_path, kind):
    model, batch, path = saved(tmp_path, kind)
    checkpoint = load_checkpoint(path, device="cpu")
    assert checkpoint.kind == kind and checkpoint.epoch == 4
    assert checkpoint.src_vocab.itos == SRC.itos and checkpoint.tgt_vocab.itos == TGT.itos
    assert checkpoint.config["lr"] == 0.01 and checkpoint.metrics == {"best_valid_loss": 1.5}
    assert checkpoint.optimizer_state["state"]  # Adam moments are there
    assert not checkpoint.model.training
    assert next(checkpoint.model.parameters()).device.type == "cpu"
    with torch.no_grad():
        expected, _ = model(batch.src, batch.src_lengths, batch.tgt_in)
        actual, _ = checkpoint.model(batch.src, batch.src_lengths, batch.tgt_in)
    assert torch.equal(expected, actual)
    assert not list(path.parent.glob(".*tmp"))  # the temporary file is gone


def test_missing_checkpoint_says_to_run_dvc_repro(tmp_path):
    with pytest.raises(CheckpointError, match="not found.*dvc repro"):
        load_checkpoint(tmp_path / "models" / "attn.pt")


def test_corrupt_checkpoints(tmp_path):
    _, _, path = saved(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # truncated
    with pytest.raises(CheckpointError, match="corrupt.*dvc repro"):
        load_checkpoint(path)
    path.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="corrupt.*dvc repro"):
        load_checkpoint(path)
    torch.save({"weights": torch.zeros(2)}, path)  # a torch file, but not ours
    with pytest.raises(CheckpointError, match="not a model checkpoint.*dvc repro"):
        load_checkpoint(path)


def test_a_copy_checkpoint_from_before_the_output_layer_object_loads(tmp_path):
    """Its softmax was saved as output_layer.*, its gate as copy_gate.*: both load into the CopyGenerator."""
    model, _, path = saved(tmp_path, "copy")
    payload = torch.load(path, weights_only=True)
    payload["model_state"] = {key.replace("output_layer.vocabulary.", "output_layer.").replace(
        "output_layer.gate.", "copy_gate."): value for key, value in payload["model_state"].items()}
    assert any(key.startswith("copy_gate.") for key in payload["model_state"])
    torch.save(payload, path)
    loaded = load_checkpoint(path).model.state_dict()
    assert loaded.keys() == model.state_dict().keys()
    assert all(torch.equal(loaded[key], value) for key, value in model.state_dict().items())
