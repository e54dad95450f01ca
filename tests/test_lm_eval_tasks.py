"""The tasks through the real lm-eval CLI: the oracle scores 100 %, the empty answer 0 %, on every cleaned set;
a tiny random Mistral with the real tokenizer runs end to end."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from custom_suite import CATEGORIES
from evaluation.documents import humaneval_docs, mbpp_docs, mbppplus_docs, prompt_alpaca, prompt_mbpp_3shot, prompt_zeroshot
from evaluation.extract import extract_code
from evaluation.grading import ERROR_KINDS, classify, doc_metrics, grade, pass_at_k
from sandbox import TaskResult
from lm_eval_table import assert_pass_at_1_first_and_no_nan

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
FULL = ["mbpp_custom", "mbpp_custom_3shot", "mbppplus_custom", "humaneval_custom", "custom_suite"]


def _lm_eval(tmp_path, *args, launcher=("-m", "evaluation.lm_eval_cli"), table=False):
    """The run's results (and with TABLE, the table lm-eval printed)."""
    out = tmp_path / "out"
    cmd = [sys.executable, *launcher, "run", "--include_path", "lm_eval_tasks", "--output_path", str(out), *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    files = sorted(out.rglob("results_*.json"))
    assert files, proc.stderr[-2000:]
    results = json.loads(files[-1].read_text())["results"]
    return (results, proc.stdout) if table else results


@pytest.mark.slow
@pytest.mark.parametrize("model,expected", [("codeeval-oracle", 1.0), ("codeeval-empty", 0.0)])
def test_reference_models_through_lm_eval_cli(tmp_path, model, expected):
    results = _lm_eval(tmp_path, "--model", model, "--tasks", ",".join(FULL))
    for task in FULL[:-1] + [f"custom_suite_{c}" for c in CATEGORIES]:
        assert results[task]["pass@1,sandbox"] == expected, (task, results[task])
    assert results["custom_suite"]["pass@1,sandbox"] == expected  # the group's weighted aggregate
    assert results["mbppplus_custom"]["pass@1_base,sandbox"] == expected


@pytest.mark.slow
def test_deterministic_launcher_runs_lm_eval_with_deterministic_torch(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "evaluation.lm_eval_cli", "--deterministic", "run", "--model",
                           "codeeval-oracle", "--include_path", "lm_eval_tasks", "--tasks", "mbpp_custom", "--limit", "3",
                           "--output_path", str(out)], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "[lm_eval_cli] deterministic algorithms on, CUBLAS_WORKSPACE_CONFIG=:4096:8" in proc.stderr
    (results,) = out.rglob("results_*.json")
    assert json.loads(results.read_text())["results"]["mbpp_custom"]["pass@1,sandbox"] == 1.0


def test_cleaned_sets_have_the_expected_sizes():
    assert len(mbpp_docs()) == 500 and len(mbppplus_docs()) == 398 and len(humaneval_docs()) == 164


@pytest.mark.slow
def test_tiny_mistral_end_to_end(tmp_path):
    from model_builders.random_mistral import build

    model = build(tmp_path / "tiny")
    tasks = FULL[:-1] + ["mbpp_custom_alpaca", "mbppplus_custom_alpaca", "humaneval_custom_alpaca", "custom_suite_strings",
                         "custom_suite_alpaca_classes"]
    results, printed = _lm_eval(tmp_path, "--model", "hf", "--model_args", f"pretrained={model},dtype=float32",
                                "--tasks", ",".join(tasks), "--limit", "2", "--gen_kwargs", "max_gen_toks=24",
                                "--log_samples", launcher=("-m", "lm_eval"), table=True)
    assert_pass_at_1_first_and_no_nan(printed, tasks)  # lm-eval's own table, through its own CLI
    for task in tasks:
        r = results[task]
        for key in ("pass@1", "syntax_valid", "syntax_valid_raw", "runs_clean", "verdict_in_process", "verdict_syntax",
                    "verdict_wrong_answer"):
            assert 0.0 <= r[f"{key},sandbox"] <= 1.0, (task, key, r)
        errors = sum(r[f"verdict_{k},sandbox"] for k in ERROR_KINDS)
        assert math.isclose(errors + r["pass@1,sandbox"], 1.0), (task, r)


def test_prompts_name_the_function_and_follow_their_formats():
    doc = mbpp_docs()[0]
    assert doc["entry_point"] in prompt_zeroshot(doc)
    three = prompt_mbpp_3shot(doc)
    assert three.count("[BEGIN]") == 4 and three.count("[DONE]") == 3 and three.endswith("[BEGIN]\n")
    assert prompt_alpaca(doc).endswith("### Response:\n") and doc["entry_point"] in prompt_alpaca(doc)
    he = humaneval_docs()[0]
    assert prompt_zeroshot(he) == he["prefix"]


@pytest.mark.parametrize("generation,expected", [
    ("```python\nimport math\n\ndef helper(x):\n    return x\n\ndef f(x):\n    return helper(x)\n```\nIt works.", "import math\n\ndef helper(x):\n    return x\n\ndef f(x):\n    return helper(x)"),
    ("def f(x):\n    return x\n\nExplanation: The function `f` returns x.", "def f(x):\n    return x"),
    ("Here is the code:\ndef f(x):\n    return x\nThis returns its input.", "def f(x):\n    return x"),
    ("def f(x):\n    return x\n[DONE]\nYou are an expert", "def f(x):\n    return x"),
    ("def f(x):\n    return x\nassert f(1) == 1", "def f(x):\n    return x"),
])
def test_code_extraction(generation, expected):
    assert extract_code(generation) == expected


def test_pass_at_k_estimator():
    assert pass_at_k(10, 0, 1) == 0.0 and pass_at_k(10, 10, 5) == 1.0
    assert math.isclose(pass_at_k(10, 3, 1), 0.3)
    assert math.isclose(pass_at_k(10, 1, 5), 0.5)
    assert pass_at_k(5, 4, 2) == 1.0


def test_error_taxonomy_from_real_runs():
    doc = dict(mbpp_docs()[0])
    ep = doc["entry_point"]
    gens = [doc["reference"], "def f(:\n  pass", f"def {ep}(*a):\n    return None", "def other(*a):\n    return 1",
            f"def {ep}():\n    return 1", f"def {ep}(*a):\n    while True: pass", f"def {ep}(*a):\n    return 1 / 0"]
    verdicts = grade([doc], [gens], progress=False)[0]
    assert [v["error"] for v in verdicts] == [None, "syntax", "wrong_answer", "name_signature", "name_signature", "timeout", "exception"]
    m = doc_metrics(verdicts)
    assert math.isclose(m["pass@1"], 1 / 7) and math.isclose(m["verdict_timeout"], 1 / 7) and m["syntax_valid"] < 1
    assert classify(True, TaskResult(status="memory")) == "memory"


def test_passing_references_are_kept_on_disk_and_reused(tmp_path, monkeypatch):
    """A passing reference run is stored once and read back (its measured times exactly, which a second run would not
    repeat); a failing one, a changed task or CODEEVAL_REFERENCE_CACHE=off runs again; a damaged file is run again
    and replaced; without an OS sandbox nothing is kept."""
    import evaluation.grading as grading

    store = tmp_path / "references"
    monkeypatch.setenv("CODEEVAL_REFERENCE_CACHE", str(store))
    monkeypatch.setattr(grading, "_ref_cache", {})
    good = [dict(d) for d in mbppplus_docs()[:2]]
    broken = {**good[0], "task_id": "broken", "reference": "def nothing():\n    pass\n"}
    first = grading.references(good + [broken])
    assert first["broken"]["result"].passed is False and len(list(store.glob("*.pkl"))) == 2
    grading._ref_cache.clear()
    again = grading.references(good + [broken])
    for d in good:
        assert again[d["task_id"]]["times"] == first[d["task_id"]]["times"]
        assert again[d["task_id"]]["expected"] == first[d["task_id"]]["expected"]
    assert [v["passed"] for v in grade(good, [[d["reference"]] for d in good], progress=False)[0]] == [True]

    changed = {**good[0], "reference": good[0]["reference"] + "\n# changed\n"}
    grading._ref_cache.clear()
    assert grading.references([changed])[changed["task_id"]]["result"].passed and len(list(store.glob("*.pkl"))) == 3

    for f in store.glob("*.pkl"):
        f.write_bytes(b"not a pickle")
    grading._ref_cache.clear()
    redone = grading.references(good)
    assert all(redone[d["task_id"]]["result"].passed for d in good)
    assert sum(f.read_bytes() != b"not a pickle" for f in store.glob("*.pkl")) == 2

    monkeypatch.setenv("CODEEVAL_REFERENCE_CACHE", "off")
    grading._ref_cache.clear()
    cold = grading.references(good)
    assert grading.reference_store() is None and cold[good[0]["task_id"]]["times"] != first[good[0]["task_id"]]["times"]

    # without an OS sandbox a graded program runs as this user and could write the folder: it is not used
    from sandbox import isolation

    monkeypatch.setenv("CODEEVAL_REFERENCE_CACHE", str(store))
    monkeypatch.setenv("SANDBOX_ISOLATION", "process")
    isolation.isolation_level.cache_clear()
    try:
        assert grading.reference_store() is None
    finally:
        monkeypatch.delenv("SANDBOX_ISOLATION")
        isolation.isolation_level.cache_clear()
    assert grading.reference_store() == store


def test_a_slow_reference_is_cut_and_its_remaining_inputs_shared_out(monkeypatch):
    """A reference still running its call tests after SPLIT_AFTER keeps what it finished; the rest run in shares over
    the workers, each a fresh process (its module state starts again: `calls` restarts at 1 in every share)."""
    import base64
    import pickle

    import evaluation.grading as grading

    monkeypatch.setenv("CODEEVAL_REFERENCE_CACHE", "off")
    monkeypatch.setattr(grading, "_ref_cache", {})
    monkeypatch.setattr(grading, "SPLIT_AFTER", 1.0)
    program = ("import time\ncalls = 0\ndef slow(x):\n    global calls\n    calls += 1\n    time.sleep(0.25)\n"
               "    return [x, calls]\n")
    doc = {**mbppplus_docs()[0], "task_id": "slow", "reference": program, "entry_point": "slow", "setup": "",
           "atol": 0, "n_base": 12, "inputs_json": base64.b64encode(pickle.dumps([[i] for i in range(12)])).decode()}
    ref = grading.references([doc], workers=4)["slow"]
    assert ref["result"].passed and len(ref["times"]) == 12 and all(t > 0 for t in ref["times"])  # one time per input
    assert [x for x, _ in ref["expected"]] == list(range(12))
    runs = [calls for _, calls in ref["expected"]]
    starts = [i for i, c in enumerate(runs) if c == 1]
    assert 2 <= len(starts) <= 5 and starts[0] == 0  # the cut run, then at most one share per worker
    assert all(runs[i] == runs[i - 1] + 1 for i in range(1, 12) if i not in starts)
    whole = grading.references([{**doc, "task_id": "slow, whole"}], workers=1)["slow, whole"]
    assert [calls for _, calls in whole["expected"]] == list(range(1, 13))  # one process: nothing cut


def test_quality_describes_what_the_model_wrote_not_the_prompt():
    doc = dict(humaneval_docs()[0])
    noise, body = "%%% ??? ###", "    return any(abs(a - b) < threshold for a in numbers for b in numbers if a is not b)\n"
    v_noise, v_body = grade([doc], [[noise, body]], progress=False)[0]
    # the extractor falls back to the prompt's own signature and docstring: none of it is the model's
    assert v_noise["syntax_valid"] is False and v_noise["syntax_valid_raw"] is False and v_noise["runs_clean"] is False
    assert v_noise["error"] == "syntax" and v_noise["has_docstring"] is None and v_noise["loc"] is None
    assert v_body["syntax_valid"] and v_body["syntax_valid_raw"] and v_body["has_docstring"] == 0.0  # the docstring is the prompt's
    assert v_body["loc"] == 1.0 and v_body["has_comment"] == 0.0


def test_a_programs_odd_literals_neither_warn_nor_change_its_measures():
    """`1if x else 2` parses, with a SyntaxWarning that is the model's: under `-W error` it would have made valid code
    unparsable (a syntax error, no measures) and otherwise fills the terminal with `<unknown>:2: SyntaxWarning`."""
    code = "def f(x):\n    return [1if x else 2 for _ in x]\n"
    probe = ("import json, sys; from common.pysource import parses; from evaluation.quality import quality; "
             "from sandbox.runner import _bound; "
             f"json.dump([parses({code!r}), quality({code!r}), sorted(_bound({code!r} + 'sum = 1'))], sys.stdout)")
    proc = subprocess.run([sys.executable, "-W", "error::SyntaxWarning", "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and "SyntaxWarning" not in proc.stderr, proc.stderr[-2000:]
    valid, measures, bound = json.loads(proc.stdout)
    assert valid and measures["loc"] == 2.0 and measures["complexity"] == 3.0 and bound == ["_", "f", "sum", "x"]


@pytest.mark.slow
def test_three_shot_prompt_is_lm_evals_own_few_shot(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "evaluation.lm_eval_cli", "run", "--model", "codeeval-oracle",
                           "--include_path", "lm_eval_tasks", "--tasks", "mbpp_custom_3shot", "--limit", "1",
                           "--log_samples", "--output_path", str(out)], cwd=ROOT, env=ENV, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (results,) = out.rglob("results_*.json")
    assert json.loads(results.read_text())["n-shot"]["mbpp_custom_3shot"] == 3  # recorded as what it is
    (samples,) = out.rglob("samples_*.jsonl")
    sample = json.loads(samples.read_text().splitlines()[0])
    assert sample["arguments"]["gen_args_0"]["arg_0"] == prompt_mbpp_3shot(mbpp_docs()[0])  # the same text as before


@pytest.mark.slow
def test_a_lone_custom_suite_task_name_from_the_repo_root_runs_the_group(tmp_path):
    """`custom_suite` is also a folder of the repo root, which lm-eval would read as a folder of task YAMLs."""
    proc = subprocess.run([sys.executable, "-m", "evaluation.lm_eval_cli", "run", "--model", "codeeval-oracle",
                           "--include_path", "lm_eval_tasks", "--tasks", "custom_suite", "--limit", "1",
                           "--output_path", str(tmp_path)], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (results,) = tmp_path.rglob("results_*.json")
    res = json.loads(results.read_text())["results"]
    assert res["custom_suite"]["pass@1,sandbox"] == 1.0 and "custom_suite_strings" in res


@pytest.mark.slow
def test_eval_benchmark_splits_the_wall_time_and_compares_generations(tmp_path):
    """benchmarks/bench_eval.py: cases through lm-eval's own CLI; the timed phases fit in each process's wall time,
    the same greedy model generates the same text again, a case that fails or runs out of time is recorded and the
    next one runs."""
    from model_builders.random_mistral import build

    model = build(tmp_path / "tiny")
    out = tmp_path / "speed.json"
    args = [sys.executable, "benchmarks/bench_eval.py", "--model", str(model), "--tasks", "mbpp_custom_alpaca",
            "--device", "cpu", "--dtype", "float32", "--batch", "2", "--limit", "3", "--out", str(out),
            "--case", "first", "--case", "broken:batch=many", "--case", "stopped:timeout=0.5",
            "--case", "again:TOKENIZERS_PARALLELISM=false,batch=3,gen.do_sample=False"]
    proc = subprocess.run(args, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-3000:]  # one case failed
    figures = json.loads(out.read_text())
    first, broken, stopped, again = figures["cases"]
    assert isinstance(figures["cpu_model"], str) and isinstance(figures["gpus"], list)  # the host, for comparisons
    assert broken["error"].startswith("exit ") and broken["log_tail"]
    assert stopped["error"] == "timeout after 0.5 s" and "phases_s" not in stopped
    assert again["env"] == {"TOKENIZERS_PARALLELISM": "false"} and again["batch"] == "3"
    assert again["gen_kwargs"] == ["do_sample=False"] and "--gen_kwargs do_sample=False" in proc.stderr
    for case in (first, again):
        phases = case["phases_s"]
        assert phases["model load"] > 0 and phases["generation"] > 0 and phases["grading"] > 0
        assert case["calls"] == {"load": 1, "generate": 1, "grade": 1, "references": 1}
        assert 0 <= phases["of which references"] <= phases["grading"]  # the references run inside the grading
        assert -0.3 <= phases["other"] < case["wall_s"]  # the timed spans fit inside the process's wall time
        dec = case["decoding"]  # 3 documents in batches of 2 (first) or one of 3 (again), up to 512 tokens each
        assert dec["calls"] == (2 if case is first else 1) and dec["rows"] == 3 and 0 < dec["steps"] <= 512 * dec["calls"]
        assert dec["ms_per_step"] > 0 and dec["stop_checks"] >= dec["steps"] - dec["calls"]
        assert 0 <= phases["of which stop checks"] <= phases["generation"]
    assert again["vs_first_case"]["documents"] == 3 and again["vs_first_case"]["different_generation"] == 0
    assert "first: " in proc.stdout and "broken: failed" in proc.stdout and "generations differ" in proc.stdout


def test_grading_benchmark_grades_a_logged_run_cold_then_kept(tmp_path):
    """benchmarks/bench_grading.py on a small logged run: two passes, the references run in the first and read from
    the store in the second, pass@1 as logged in both (a right and a wrong answer), rows appended."""
    docs = [dict(d) for d in mbppplus_docs()[:2]]
    run = tmp_path / "run"
    run.mkdir()
    rows = [{"doc": docs[0], "resps": [[docs[0]["reference"]]], "pass@1": 1.0},
            {"doc": docs[1], "resps": [["def nothing():\n    pass\n"]], "pass@1": 0.0}]
    (run / "samples_mbppplus_custom_alpaca_2026.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "grading.json"
    for label in ("before", "after"):
        proc = subprocess.run([sys.executable, "benchmarks/bench_grading.py", str(run), "--label", label,
                               "--out", str(out)], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
    first, second = json.loads(out.read_text())
    assert (first["label"], second["label"]) == ("before", "after") and first["cpus"] >= 1
    for row in (first, second):
        for name in ("cold", "kept"):
            r = row[name]
            assert r["documents"] == 2 and r["pass1_changed"] == 0
            assert r["total_s"] >= r["references_s"] >= 0 and r["samples_s"] >= 0
        assert row["cold"]["references_run"] == 2 and row["kept"]["references_run"] == 0  # the store, not a rerun
        assert sorted(task for task, _ in row["longest_references"]) == sorted(d["task_id"] for d in docs)
    assert "references cold" in proc.stdout and "references kept" in proc.stdout and "longest references" in proc.stdout
    bad = subprocess.run([sys.executable, "benchmarks/bench_grading.py", str(tmp_path / "nothing")], cwd=ROOT, env=ENV,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "nothing" in bad.stderr


@pytest.mark.slow
def test_regrade_repeats_lm_evals_figures_and_follows_the_generations(tmp_path):
    """evaluation.regrade on an lm-eval run: untouched, it writes back lm-eval's own figures (tasks and groups);
    with one generation replaced by an empty answer, that document fails, its task's and group's pass@1 drop by
    its weight, and --check writes nothing."""
    _lm_eval(tmp_path, "--model", "codeeval-oracle", "--tasks", "mbpp_custom,custom_suite", "--limit", "2",
             "--log_samples")
    (results,) = (tmp_path / "out").rglob("results_*.json")
    original = json.loads(results.read_text())
    regrade = [sys.executable, "-m", "evaluation.regrade", str(tmp_path / "out")]
    assert subprocess.run(regrade, cwd=ROOT, env=ENV, capture_output=True, timeout=600).returncode == 0
    again = json.loads(results.read_text())
    for task, entry in original["results"].items():
        for key, value in entry.items():
            if key.startswith("pass@1") or key.startswith("syntax_valid") or key.startswith("quality_loc"):
                assert again["results"][task][key] == pytest.approx(value), (task, key)
    assert again["regraded"]["documents_changed"] == 0

    (samples,) = (tmp_path / "out").rglob("samples_custom_suite_strings_*.jsonl")
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    rows[0]["resps"] = [[""]]
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    before = results.read_text()
    check = subprocess.run([*regrade, "--check"], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)
    assert check.returncode == 0 and "custom_suite_strings: pass@1 of 1 of 2 documents changed" in check.stdout
    assert "graded 26 documents in" in check.stdout  # MBPP 2 + 12 categories x 2
    assert results.read_text() == before  # --check wrote nothing
    assert subprocess.run(regrade, cwd=ROOT, env=ENV, capture_output=True, timeout=600).returncode == 0
    res = json.loads(results.read_text())["results"]
    assert res["custom_suite_strings"]["pass@1,sandbox"] == 0.5
    assert res["custom_suite"]["pass@1,sandbox"] == pytest.approx(23 / 24)  # 12 categories x 2 documents
    assert res["mbpp_custom"]["pass@1,sandbox"] == 1.0
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    assert rows[0]["resps"] == [[""]] and rows[0]["pass@1"] == 0.0 and rows[1]["pass@1"] == 1.0
