"""The local assistant: merge + GGUF export with llama.cpp's converter and quantiser, its server, grading what it
serves through lm-eval's local-completions, the chat CLI; and the errors a user meets first."""
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import export as ex
from common.hashing import sha256_file
from assistant.serve import Server, ServerError
from reporting.quantisation import mcnemar_p

ROOT = Path(__file__).resolve().parents[1]
GEMMA_R8 = ROOT / "runs/gemma_grid/adapters/gemma3-270m-code-r8"


def tiny_model(hidden=64, seed=0):
    import torch
    from transformers import MistralConfig, MistralForCausalLM

    torch.manual_seed(seed)
    return MistralForCausalLM(MistralConfig(vocab_size=32000, hidden_size=hidden, intermediate_size=2 * hidden,
                                            num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2))


def lora_adapter(model, folder: Path) -> Path:
    from peft import LoraConfig, get_peft_model

    # init_lora_weights=False: B is not zero, so merging changes the weights
    peft = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                            init_lora_weights=False))
    peft.save_pretrained(folder)
    return folder


def test_an_adapter_for_another_shape_is_refused_naming_the_tensor(tmp_path):
    adapter = lora_adapter(tiny_model(hidden=32), tmp_path / "adapter")
    with pytest.raises(ex.AdapterMismatch, match=r"lora_A\.weight has shape \[4, 32\].*in_features=64"):
        ex.check_adapter(tiny_model(hidden=64), adapter)
    ex.check_adapter(tiny_model(hidden=32, seed=1), adapter)  # same shapes: accepted


def test_an_adapter_that_saves_whole_modules_is_checked_by_parameter(tmp_path):
    from peft import LoraConfig, get_peft_model

    peft = get_peft_model(tiny_model(hidden=32), LoraConfig(r=4, target_modules=["q_proj"], modules_to_save=["lm_head"]))
    peft.save_pretrained(tmp_path / "adapter")
    ex.check_adapter(tiny_model(hidden=32, seed=1), tmp_path / "adapter")
    with pytest.raises(ex.AdapterMismatch, match=r"lm_head\.weight \[32000, 32\] does not fit the base \(\[32000, 64\]\)"):
        ex.check_adapter(tiny_model(hidden=64), tmp_path / "adapter")


def test_a_missing_adapter_file_is_named_before_anything_loads(tmp_path, capsys):
    (tmp_path / "adapter").mkdir()
    (tmp_path / "adapter/adapter_config.json").write_text("{}")
    assert ex.main(["--base", str(tmp_path), "--adapter", str(tmp_path / "adapter"), "--out", str(tmp_path / "o")]) == 2
    assert f"{tmp_path}/adapter/adapter_model.safetensors: missing" in capsys.readouterr().err


def test_a_server_that_does_not_come_up_is_reported_with_its_log(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.gguf: no such GGUF file"):
        Server(tmp_path / "nope.gguf")
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ServerError, match=r"broken.gguf exited with code \d+ before it answered"):
        Server(bad, log=tmp_path / "s.log").start()


def test_modelfile_carries_the_training_prompt_and_stops():
    from common.prompts import ALPACA_SYSTEM_NO_INPUT, alpaca_prompt

    text = ex.modelfile("model-q4_k_m.gguf")
    assert 'FROM ./model-q4_k_m.gguf' in text and f'SYSTEM """{ALPACA_SYSTEM_NO_INPUT}"""' in text
    template = text.split('TEMPLATE """')[1].split('"""')[0]
    # Ollama fills .System with SYSTEM unless the user sets one, .Prompt with the message, .Response with the answer
    rendered = template.replace("{{ .System }}", ALPACA_SYSTEM_NO_INPUT).replace("{{ .Prompt }}", "Add two numbers.")
    assert rendered.replace("{{ .Response }}", "") == alpaca_prompt("Add two numbers.")
    assert 'PARAMETER stop "### Instruction"' in text and 'PARAMETER stop "### "' in text
    assert "PARAMETER temperature 0" in text


def test_the_chat_template_renders_the_alpaca_prompt_as_llama_cpp_does():
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    from assistant.gguf_metadata import chat_template
    from common.prompts import alpaca_prompt

    render = Jinja2ChatFormatter(chat_template(), eos_token="<eos>", bos_token="<bos>")
    one = render(messages=[{"role": "user", "content": "Write a function add(a, b)."}])
    assert one.prompt == "<bos>" + alpaca_prompt("Write a function add(a, b).") and one.added_special
    system = render(messages=[{"role": "system", "content": "Answer in Python."},
                              {"role": "user", "content": "Add."}, {"role": "assistant", "content": "def add(): pass"},
                              {"role": "user", "content": "Again."}]).prompt
    assert system == ("<bos>Answer in Python.\n\n### Instruction:\nAdd.\n\n### Response:\ndef add(): pass<eos>"
                      "\n\n### Instruction:\nAgain.\n\n### Response:\n")


def _tiny_gguf(path: Path, tokens: list[str], name: str, merges=()) -> Path:
    import gguf
    import numpy as np

    w = gguf.GGUFWriter(path, "llama")
    w.add_name(name)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("guessed")
    w.add_token_list(tokens)
    if merges:
        w.add_token_merges(list(merges))
    w.add_tensor("token_embd.weight", np.arange(4 * len(tokens), dtype=np.float32).reshape(len(tokens), 4))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def test_the_rewrite_keeps_the_tensors_and_takes_the_base_tokenizer(tmp_path):
    import gguf
    import numpy as np

    from assistant.gguf_metadata import Gguf, rewrite, write_tokenizer_gguf

    converted = _tiny_gguf(tmp_path / "converted.gguf", ["<a>", "<b>", "<c>"], "Hf", merges=["a b"])
    base = _tiny_gguf(tmp_path / "base.gguf", ["<x>", "<y>", "<z>"], "Base 1B")
    tokenizer = write_tokenizer_gguf(base, tmp_path / "tokenizer.gguf")
    assert Gguf(tokenizer).n_tensors == 0 and Gguf(tokenizer).value("general.name") == "Base 1B"
    out = rewrite(converted, tmp_path / "out.gguf", "my-adapter", "Base 1B", tokenizer, "{{ bos_token }}x")
    r = gguf.GGUFReader(out)  # llama.cpp's own reader
    assert r.fields["general.name"].contents() == "my-adapter" and r.fields["general.base_model.0.name"].contents() == "Base 1B"
    assert r.fields["tokenizer.ggml.tokens"].contents() == ["<x>", "<y>", "<z>"] and "tokenizer.ggml.merges" not in r.fields
    assert r.fields["tokenizer.chat_template"].contents() == "{{ bos_token }}x"
    assert np.array_equal(r.tensors[0].data, gguf.GGUFReader(converted).tensors[0].data)

    other = write_tokenizer_gguf(_tiny_gguf(tmp_path / "b2.gguf", ["<x>", "<y>"], "Other"), tmp_path / "t2.gguf")
    with pytest.raises(ValueError, match="2 tokens, but the model's token_embd.weight has 3 rows"):
        rewrite(converted, tmp_path / "out2.gguf", "m", None, other)


def test_a_missing_base_is_named_in_one_line_and_nothing_is_left(tmp_path, capsys):
    assert ex.main(["--base", str(tmp_path / "nope"), "--out", str(tmp_path / "o"), "--quant", "q8_0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"assistant.export: --base {tmp_path / 'nope'}: no such folder") and "\n" not in err
    assert not (tmp_path / "o").exists()


def test_a_failed_export_leaves_nothing_in_out(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "base/config.json").write_text('{"model_type": "mistral"}')  # no weights: the merge fails
    fake = tmp_path / "convert_hf_to_gguf.py"
    fake.write_text("")
    with pytest.raises(RuntimeError, match=r"nothing written to .*/out; the full log: .*codelora-export-out\.log"):
        ex.export(str(tmp_path / "base"), None, tmp_path / "out", quants=["q8_0"], converter=fake)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base", "convert_hf_to_gguf.py"]


def test_the_grade_summary_puts_pass_at_1_first_and_leaves_out_empty_metrics():
    from assistant.grade import summary

    nan = float("nan")
    results = {"results": {"mbpp_custom_alpaca": {"alias": "mbpp_custom_alpaca", "quality_complexity,sandbox": nan,
                                                  "verdict_syntax,sandbox": 0.5, "pass@1,sandbox": 0.25,
                                                  "pass@1_stderr,sandbox": 0.1, "pass@5,sandbox": nan},
                           "other_task": {"acc,none": 1.0}},
               "n-samples": {"mbpp_custom_alpaca": {"effective": 4}}}
    assert summary(results).splitlines() == [
        "mbpp_custom_alpaca (4 documents): pass@1 0.250, verdict_syntax 0.500",
        "no value in this run (no sample defines them): pass@5, quality_complexity"]


def test_the_commands_to_grade_a_server_come_from_the_one_builder(tmp_path):
    """assistant.serve's printed hint and assistant.grade's run are evaluation.lm_eval_command's argv; lm-eval's own
    parser reads the endpoint, the text-only client and the task from them."""
    from lm_eval._cli import HarnessCLI

    from assistant.grade import lm_eval_command as grade_command
    from assistant.serve import grade_command as hint
    from evaluation.lm_eval_command import lm_eval_command

    url = "http://127.0.0.1:8000/v1"
    cmd = hint(url, "model q8")
    args = f"base_url={url}/completions,model=model q8,tokenized_requests=False,tokenizer_backend=None,num_concurrent=1"
    assert cmd == lm_eval_command(args, "mbpp_custom_alpaca", "outputs/eval/gguf", model="local-completions")
    graded = grade_command(url, "m", "mbpp_custom_alpaca_chat", tmp_path, limit=2, chat=True)
    for argv in (cmd, graded):
        got = HarnessCLI()._parser.parse_args(argv[argv.index("run"):])
        assert got.model_args["tokenized_requests"] is False and got.log_samples
    assert got.model == "local-chat-completions" and got.model_args["base_url"] == f"{url}/chat/completions"
    assert got.limit == 2 and got.tasks == ["mbpp_custom_alpaca_chat"] and got.apply_chat_template is True


def test_mcnemar_exact():
    assert mcnemar_p(0, 0) == 1.0 and mcnemar_p(5, 5) == 1.0
    assert mcnemar_p(0, 6) == pytest.approx(2 / 64) and mcnemar_p(6, 0) == mcnemar_p(0, 6)
    assert mcnemar_p(1, 9) == pytest.approx(2 * 11 / 1024)


@pytest.mark.slow
def test_export_serve_grade_and_chat_on_a_tiny_mistral(tmp_path):
    import gguf
    import torch
    from safetensors.torch import load_file

    from model_builders.random_mistral import build

    base = build(tmp_path / "tiny")
    from transformers import AutoModelForCausalLM
    adapter = lora_adapter(AutoModelForCausalLM.from_pretrained(base), tmp_path / "adapter")
    manifest = ex.export(str(base), adapter, tmp_path / "gguf")
    out = tmp_path / "gguf"
    for name, info in manifest["files"].items():
        assert sha256_file(out / name) == info["sha256"]
    assert set(manifest["files"]) == {"model-f16.gguf", "model-q8_0.gguf", "model-q4_k_m.gguf", "Modelfile"}
    assert "FROM ./model-q4_k_m.gguf" in (out / "Modelfile").read_text()
    quants = ["f16", "q8_0", "q4_k_m"]
    assert ex.up_to_date(str(base), adapter, out, quants) and not ex.up_to_date(str(base), None, out, quants)

    # the merge reached the GGUF: llama.cpp's attn_v is the merged v_proj, not the base's
    merged = load_file(out / "hf/model.safetensors")["model.layers.0.self_attn.v_proj.weight"]
    original = load_file(base / "model.safetensors")["model.layers.0.self_attn.v_proj.weight"]
    tensor = next(t for t in gguf.GGUFReader(out / "model-f16.gguf").tensors if t.name == "blk.0.attn_v.weight")
    in_gguf = torch.tensor(tensor.data.astype("float32")).reshape(merged.shape)
    assert torch.allclose(in_gguf, merged.float(), atol=1e-3) and not torch.allclose(in_gguf, original, atol=1e-3)

    from assistant.grade import grade
    served = grade(out / "model-q8_0.gguf", tmp_path / "eval", tasks="mbpp_custom_alpaca", limit=2,
                   extra=["--gen_kwargs", "max_gen_toks=16"])
    results = json.loads(next((tmp_path / "eval").rglob("results_*.json")).read_text())
    assert results["config"]["model"] == "local-completions"
    assert results["n-samples"]["mbpp_custom_alpaca"]["effective"] == 2 and "pass@1,sandbox" in results["results"]["mbpp_custom_alpaca"]
    assert served["generated_tokens"] > 0 and served["peak_rss_bytes"] > 0
    port = int(results["config"]["model_args"].split("127.0.0.1:")[1].split("/")[0]) if isinstance(
        results["config"]["model_args"], str) else int(results["config"]["model_args"]["base_url"].split(":")[2].split("/")[0])
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the server outlived its grading"

    # the chat endpoint, as an OpenAI chat client uses it: the instruction alone, the GGUF's template around it
    from assistant.gguf_metadata import Gguf

    meta = Gguf(out / "model-q8_0.gguf")
    assert (meta.value("general.name"), meta.value("general.base_model.0.name")) == ("adapter", "tiny")
    served = grade(out / "model-q8_0.gguf", tmp_path / "chat", tasks="mbpp_custom_alpaca_chat", limit=2, chat=True,
                   extra=["--gen_kwargs", "max_gen_toks=16"])
    assert served["endpoint"] == "chat/completions"
    results = json.loads(next((tmp_path / "chat").rglob("results_*.json")).read_text())
    assert results["config"]["model"] == "local-chat-completions" and "pass@1,sandbox" in results["results"]["mbpp_custom_alpaca_chat"]
    sample = json.loads(next((tmp_path / "chat").rglob("samples_*.jsonl")).open().readline())
    sent = json.loads(sample["arguments"]["gen_args_0"]["arg_0"][0])  # lm-eval logs the messages it sent
    assert sent[0]["role"] == "user" and sent[0]["content"].startswith("Write a python function")
    assert "Below is an instruction" not in sent[0]["content"]  # the instruction alone: the template adds the rest
    assert "Using gguf chat template" in (tmp_path / "chat/server.log").read_text()

    chat = subprocess.run([sys.executable, "-m", "assistant.chat", "--gguf", str(out / "model-q4_k_m.gguf"), "-i",
                           "Write a function add(a, b) that returns a + b.", "--test", "assert add(2, 3) == 5",
                           "--max-tokens", "16"], capture_output=True, text=True, cwd=ROOT)
    assert chat.returncode == 1, chat.stderr  # a random model's code does not pass
    assert "assert add(2, 3) == 5" in chat.stdout and "pass " not in chat.stdout

    session = "Write a function add(a, b).\n:run\n:test assert add(1, 2) == 3\n:run\n:bogus\n:quit\n"
    repl = subprocess.run([sys.executable, "-m", "assistant.chat", "--gguf", str(out / "model-q8_0.gguf"),
                           "--max-tokens", "8"], input=session, capture_output=True, text=True, cwd=ROOT)
    assert repl.returncode == 0, repl.stderr
    assert "ask for code and add a :test first" in repl.stderr and "unknown command :bogus" in repl.stderr
    assert "assert add(1, 2) == 3" in repl.stdout  # :run graded the last answer against the test

    build(base, seed=7)  # other weights at the same path: the export is no longer theirs
    assert not ex.up_to_date(str(base), adapter, out, quants)


@pytest.mark.slow
def test_the_committed_adapter_served_by_llama_cpp_writes_code(gemma_hf, tmp_path):
    from assistant.gguf_metadata import Gguf, chat_template
    from assistant.grade import grade
    from assistant.serve import chat
    from evaluation.extract import extract_code

    ex.export(str(gemma_hf), GEMMA_R8, tmp_path / "gguf", quants=["q8_0"], keep_hf=False)
    assert not (tmp_path / "gguf/model-f16.gguf").exists() and not (tmp_path / "gguf/hf").exists()
    # what llama.cpp and Ollama users read: the names, the base GGUF's own tokenizer, the Alpaca chat template
    exported, base_gguf = Gguf(tmp_path / "gguf/model-q8_0.gguf"), Gguf(gemma_hf / "tokenizer.gguf")
    assert exported.value("general.name") == "gemma3-270m-code-r8"
    assert exported.value("general.base_model.0.name") == base_gguf.value("general.name") == "Gemma 3 270m"
    assert (exported.value("tokenizer.ggml.model"), exported.value("tokenizer.ggml.pre")) == ("llama", "default")
    assert exported.value("tokenizer.ggml.tokens") == base_gguf.value("tokenizer.ggml.tokens")
    assert exported.value("tokenizer.chat_template") == chat_template()

    with Server(tmp_path / "gguf/model-q8_0.gguf", log=tmp_path / "chat.log") as server:
        # what an OpenAI client sends: the instruction alone, no stop strings
        answer = chat(server.base_url, server.model, [{"role": "user", "content":
                      "Write a Python function add(a, b) that returns the sum of a and b."}], max_tokens=256)
    assert "Using gguf chat template" in (tmp_path / "chat.log").read_text()
    text = answer["choices"][0]["message"]["content"]
    assert "def add(" in extract_code(text), text
    assert "### Instruction" not in text, text  # it stopped at the end of its answer

    grade(tmp_path / "gguf/model-q8_0.gguf", tmp_path / "eval", tasks="humaneval_custom_alpaca", limit=2)
    samples = [json.loads(line) for line in next((tmp_path / "eval").rglob("samples_*.jsonl")).open()]
    first = next(s for s in samples if s["doc_id"] == 0)
    assert first["resps"][0][0].startswith("def has_close_elements(")  # Gemma without <bos> writes only newlines

    chat_cli = subprocess.run([sys.executable, "-m", "assistant.chat", "--gguf", str(tmp_path / "gguf/model-q8_0.gguf"),
                               "-i", "Write a Python function add(a, b) that returns the sum of a and b.",
                               "--test", "assert add(2, 3) == 5", "--test", "assert add(-1, 1) == 0"],
                              capture_output=True, text=True, cwd=ROOT)
    assert "def add(" in chat_cli.stdout, (chat_cli.stdout, chat_cli.stderr)
    assert chat_cli.stdout.count("assert add(") == 2 and chat_cli.returncode == (0 if chat_cli.stdout.count("pass ") == 2 else 1)


def test_a_killed_grader_takes_its_server_down():
    import os
    import signal
    import time

    # the server is started with the same preexec hook as Server.start; the parent then dies without cleaning up
    code = ("import subprocess, sys, time; from assistant.serve import _die_with_parent; "
            "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], preexec_fn=_die_with_parent, "
            "start_new_session=True); print(p.pid, flush=True); time.sleep(60)")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    child = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    for _ in range(50):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(child, signal.SIGKILL)
    pytest.fail("the server's process outlived the process that started it")


def _run(folder: Path, stamp: str, model: str, model_args, passes: list[bool], gens: list[str]) -> Path:
    (folder / "m").mkdir(parents=True)
    (folder / "m" / f"results_{stamp}.json").write_text(json.dumps({
        "config": {"model": model, "model_args": model_args}, "results": {"humaneval_custom_alpaca": {}},
        "n-samples": {"humaneval_custom_alpaca": {"effective": len(passes)}}}))
    with open(folder / "m" / f"samples_humaneval_custom_alpaca_{stamp}.jsonl", "w") as fh:
        for i, (ok, gen) in enumerate(zip(passes, gens)):
            fh.write(json.dumps({"doc_id": i, "doc": {"task_id": i, "test_helpers": stamp}, "resps": [[gen]],
                                "pass@1": float(ok)}) + "\n")
    return folder


def test_quantisation_report_pairs_documents(tmp_path):
    from reporting.quantisation import build

    hf = _run(tmp_path / "hf", "2026-01-01T00-00-00", "hf", {"pretrained": "models/m", "peft": "a/adapter-r8", "dtype": "bfloat16"},
              [True] * 8 + [False] * 4, ["same"] * 10 + ["x", "y"])
    gguf = _run(tmp_path / "q8", "2026-01-02T00-00-00", "local-completions", "base_url=http://127.0.0.1:1/v1,model=q",
                [False] * 8 + [False] * 3 + [True], ["same"] * 9 + ["z", "x", "y"])
    (gguf / "served.json").write_text(json.dumps({"gguf": "outputs/gguf/a/model-q8_0.gguf", "gguf_bytes": 3 << 20,
                                                  "threads": 1, "limit": None, "tasks": "codeeval_alpaca"}))
    text = build([[str(hf), str(gguf)]], [], None, tmp_path / "q.md").read_text()
    assert "## adapter-r8, against HF bfloat16" in text and "| HF bfloat16 | – | – | 66.7 (8/12) | – | 66.7 (8/12) |" in text
    # 8 documents passed only in HF, 1 only in the GGUF: p = 2 * (1 + 9) / 2**9
    assert f"| GGUF q8_0 | – | – | 8.3 (1/12) | – | 8.3 (1/12) | 8 / 1, p = {2 * 10 / 512:.2g} | 11/12 | 3 |" in text
    assert "`python -m assistant.grade --gguf outputs/gguf/a/model-q8_0.gguf" in text
    assert ("adapter-r8, GGUF q8_0 vs HF bfloat16: beyond noise (p < 0.05) on humaneval_custom_alpaca (8 vs 1"
            in text)  # documents that differ only in test_helpers are the same document


def test_quantisation_report_pairs_apart_the_prompts_a_tokenizer_splits_otherwise(tmp_path):
    from reporting.quantisation import build

    hf = _run(tmp_path / "hf", "2026-01-01T00-00-00", "hf", {"pretrained": "models/m", "peft": "a/adapter-r8", "dtype": "bfloat16"},
              [True] * 8 + [False] * 4, ["same"] * 10 + ["x", "y"])
    gguf = _run(tmp_path / "q8", "2026-01-02T00-00-00", "local-completions", "base_url=http://127.0.0.1:1/v1,model=q",
                [False] * 8 + [False] * 3 + [True], ["same"] * 9 + ["z", "x", "y"])
    meta = {"general.name": "a", "tokenizer.ggml.model": "llama", "tokenizer.ggml.pre": "default", "chat_template": True}
    (gguf / "served.json").write_text(json.dumps({"gguf": str(tmp_path / "a" / "model-q8_0.gguf"), "gguf_bytes": 3 << 20,
                                                  "threads": 1, "limit": None, "tasks": "codeeval_alpaca",
                                                  "gguf_metadata": meta}))
    agreement = tmp_path / "agreement.json"
    agreement.write_text(json.dumps({"command": "python benchmarks/gguf_tokenizer_agreement.py ...", "reference": "models/m",
                                     "rows": [{"gguf": str(tmp_path / "a" / "model-q8_0.gguf"), "tokenizer.ggml.model": "llama",
                                               "tokenizer.ggml.pre": "default", "first_differences": [],
                                               "tasks": {"humaneval_custom_alpaca": {"same": 10, "of": 12, "differ": [10, 11]}}}]}))
    text = build([[str(hf), str(gguf)]], [], None, tmp_path / "q.md", str(agreement)).read_text()
    assert "| GGUF q8_0, `llama` tokenizer | – | – | 8.3 (1/12) |" in text
    assert f"| `{tmp_path / 'a' / 'model-q8_0.gguf'}` | `llama` / `default` | – | – | 10/12 | – | – |" in text
    # documents 10 and 11 (split otherwise): both generations identical, the GGUF alone passed 11; the other ten:
    # nine identical, eight passed only in HF
    assert ("on the 10 documents whose prompt it splits as Transformers does, byte-identical generations 9/10, "
            f"8 / 0 passed only in the reference / only here (p = {2 / 256:.2g}); on the 2 documents whose prompt it "
            "splits otherwise, byte-identical generations 2/2, 0 / 1 passed only in the reference / only here "
            "(p = 1)") in text
    assert "--tokenizers " + str(agreement) in text
    # another file at that path (another tokenizer) is not what the agreement measured
    served = json.loads((gguf / "served.json").read_text())
    served["gguf_metadata"]["tokenizer.ggml.model"] = "gpt2"
    (gguf / "served.json").write_text(json.dumps(served))
    text = build([[str(hf), str(gguf)]], [], None, tmp_path / "q.md", str(agreement)).read_text()
    assert "| GGUF q8_0, `gpt2` tokenizer |" in text and "documents whose prompt it splits" not in text
