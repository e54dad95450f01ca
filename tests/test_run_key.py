"""The run key notices changed weights at the same path (evaluation/run_key.py), hashing each weights file once."""
import json

from evaluation import run_key


def _key_args(model_args: str) -> list[str]:
    return ["--model-args", model_args, "--tasks", "mbpp_custom_alpaca", "--limit", "2"]


def test_rebuilt_weights_at_the_same_path_re_run_and_the_same_weights_skip(tmp_path, monkeypatch, capsys):
    from model_builders.random_mistral import build

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    model, results = build(tmp_path / "tiny", seed=0), tmp_path / "results"
    args = _key_args(f"pretrained={model},dtype=float32")
    assert run_key.main(["write", str(results), *args]) == 0
    assert run_key.main(["check", str(results), *args]) == 0 and capsys.readouterr().out.strip() == "same"

    build(model, seed=7)  # other weights, same path and settings
    assert run_key.main(["check", str(results), *args]) == 1
    assert "weights_sha256" in capsys.readouterr().err


def test_every_adapter_and_the_base_are_keyed_and_hashed_once(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "base").mkdir()
    (tmp_path / "adapter").mkdir()
    (tmp_path / "base/model.safetensors").write_bytes(b"base weights")
    (tmp_path / "base/config.json").write_text("{}")  # not a weights file: editing it keeps the key
    (tmp_path / "adapter/adapter_model.safetensors").write_bytes(b"adapter weights")
    weights = run_key.model_weights(f"pretrained={tmp_path / 'base'},peft={tmp_path / 'adapter'},dtype=bfloat16")
    assert set(weights) == {"pretrained", "peft"} and None not in weights.values()
    assert run_key.model_weights("pretrained=google/gemma-3-270m") == {"pretrained": None}  # a hub id

    # the cache answers for a file of the same size and mtime without reading it again
    store = tmp_path / "cache/codelora" / run_key.WEIGHTS_CACHE
    cache = json.loads(store.read_text())
    entry = cache[str((tmp_path / "base/model.safetensors").resolve())]
    entry["sha256"] = "0" * 64
    store.write_text(json.dumps(cache))
    again = run_key.model_weights(f"pretrained={tmp_path / 'base'}")
    assert again["pretrained"] != weights["pretrained"]
    (tmp_path / "base/model.safetensors").write_bytes(b"base weights, retrained")  # new size and mtime: re-hashed
    assert run_key.model_weights(f"pretrained={tmp_path / 'base'}")["pretrained"] not in (weights["pretrained"],
                                                                                        again["pretrained"])
