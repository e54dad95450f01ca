"""The report builder on result folders from real lm-eval runs (tiny Mistral + two trained adapters, committed
under tests/fixtures/eval by `scripts/evaluate.sh`, with their run.json), on small grids built here (the claims:
primary comparison, Holm, trainings, contamination), and the blind rating sheet round trip."""
import csv
import shutil
import subprocess
from pathlib import Path

import pytest

from reporting.results import aggregate_ratings, build, load_runs, rating_sheet

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "eval"


def test_runs_and_samples_load():
    runs = {r.label: r for r in load_runs([FIXTURES])}
    assert {"tiny-mistral", "tiny-mistral-code-r8", "tiny-mistral-code_explained-r8"} <= set(runs)
    base = runs["tiny-mistral"]
    assert "mbpp_custom" in base.results and base.samples["mbpp_custom"]
    assert base.metric("mbpp_custom", "pass@1")[0] is not None
    adapter = runs["tiny-mistral-code-r8"]
    assert "peft=" in adapter.command() and adapter.adapter and adapter.rank == 8 and adapter.variant == "code"
    assert runs["tiny-mistral-code_explained-r8"].variant == "code_explained" and base.adapter is None


def test_report_has_every_section_and_plot(tmp_path):
    out = build([str(FIXTURES)], tmp_path / "results.md", [], "Fixture report")
    text = out.read_text()
    for section in ("## Leaderboard", "## Data-variant comparison", "## Per category and topic",
                    "## Error analysis", "## Code quality", "## Provenance"):
        assert section in text
    assert "| 8 | mbpp_custom_alpaca |" in text  # code against code_explained at rank 8, from their run.json
    # one rank only, no rerun, no checkpoint: those sections have nothing to say and are left out
    assert "## Rank comparison" not in text and "## Reproducibility" not in text and "## Learning curve" not in text
    assert " among these" not in text
    assert "**Custom suite, " in text and "| strings |" not in text.split("## Per category")[0] and "lm_eval run --model hf" in text
    assert (tmp_path / "results_categories.png").stat().st_size > 1000


def test_the_command_a_report_names_rebuilds_it_byte_for_byte(tmp_path):
    """The `Built by` line is the whole command, title included: run again, it writes the same bytes (plots too)."""
    import re
    import shlex

    from reporting.results import _quoted, main

    title = "Fixture's report (2 × CPU)"
    out = build([str(FIXTURES)], tmp_path / "results.md", [], title)
    plot = tmp_path / "results_categories.png"
    first, first_plot = out.read_bytes(), plot.read_bytes()
    argv = shlex.split(re.search(r"Built by `([^`]*)`", out.read_text())[1])
    assert argv[:4] == ["python", "-m", "reporting.results", "build"] and argv[argv.index("--title") + 1] == title
    out.unlink()
    plot.unlink()
    assert main(argv[3:]) == 0
    assert out.read_bytes() == first and plot.read_bytes() == first_plot
    for text in ('say "$HOME" and `x`', "plain"):
        assert shlex.split(_quoted(text)) == [text]
    default = build([str(FIXTURES)], tmp_path / "default.md", [])
    assert "--title" not in default.read_text().splitlines()[2]


def test_rating_sheet_is_blind_and_aggregates(tmp_path):
    sheet, key = rating_sheet([str(FIXTURES)], tmp_path / "sheet.csv", n=6, seed=1)
    rows = list(csv.DictReader(open(sheet)))
    assert len(rows) == 6 and all("tiny-mistral" not in "".join(r.values()) for r in rows)
    for i, r in enumerate(rows):
        r["clarity_1to5"], r["readability_1to5"], r["instruction_adherence_1to5"] = str(1 + i % 5), "3", "2"
    filled = tmp_path / "filled.csv"
    with open(filled, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    table = aggregate_ratings([str(filled)], str(key), None)
    assert "| tiny-mistral" in table and "3.00" in table
    rows[0]["clarity_1to5"] = "9"
    with open(filled, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    with pytest.raises(SystemExit, match="filled.csv:2: clarity_1to5 must be 1-5"):
        aggregate_ratings([str(filled)], str(key), None)


@pytest.mark.slow
def test_scripts_resume_only_with_the_same_settings_and_name_the_failed_step(tmp_path, workspace_tiny):
    results = tmp_path / "eval"
    env = {"PATH": "/usr/bin:/bin:" + str(Path(shutil.which("python3")).parent), "HOME": str(tmp_path),
           "MODEL": str(workspace_tiny), "RESULTS": str(results), "TASKS": "mbpp_custom", "LIMIT": "1",
           "GEN_KWARGS": "max_gen_toks=8", "BATCH": "1"}

    def evaluate(**changes):
        proc = subprocess.run(["bash", "scripts/evaluate.sh"], cwd=ROOT, env={**env, **changes}, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stderr

    assert "evaluate tiny-mistral on mbpp_custom" in evaluate()
    assert "skip tiny-mistral (results exist, same settings)" in evaluate()
    changed = evaluate(LIMIT="2")
    assert "settings changed since these results: limit: '1' -> '2'" in changed and "re-running tiny-mistral" in changed
    assert len(list(results.glob("tiny-mistral.replaced-*"))) == 1  # the earlier results are kept, not lost
    bad = subprocess.run(["bash", "scripts/train.sh", "no-such-recipe"], cwd=ROOT, env={**env, "LAUNCH": "false"},
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "no recipe matches" in bad.stderr
    fail = subprocess.run(["bash", "scripts/report.sh", str(tmp_path / "empty"), str(tmp_path / "r.md")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert fail.returncode != 0 and "failed at step: build report" in fail.stderr


def test_grid_report_from_an_archive(tmp_path):
    """tests/fixtures/grid: a grid's result JSONs, compressed samples (55 MBPP documents a run, the 15 on which two
    bfloat16 evaluations differed among them) and a trainer state: pass@k, training, reruns matched by folder."""
    grid = ROOT / "tests/fixtures/grid"
    d = grid / "results"
    (tmp_path / "results_discussion.md").write_text("hand-written discussion")
    out = build([str(d / "gemma-3-270m-passk"), str(d / "gemma3-270m-code-r8-mbpp"), str(d / "gemma3-270m-code-r8-float32")],
                tmp_path / "results.md", [], "Grid",
                rerun_dirs=[str(d / "gemma3-270m-code-r8-mbpp-rerun"), str(d / "gemma3-270m-code-r8-float32-rerun")],
                samples=[str(grid / "samples.tar.xz")], training=str(grid / "training"))
    text = out.read_text()
    assert "| gemma-3-270m-passk | mbpp_custom_passk | 10 | 0.3 | 1.4 | 2.2 | 500 |" in text  # labelled by its folder
    # each rerun is matched with the run of its folder: bfloat16 differs, float32 is identical
    assert "| gemma3-270m-code-r8-mbpp | mbpp_custom_alpaca | 4.0 | 3.8 | 15 of 55 | 1 |" in text
    assert "| gemma3-270m-code-r8-float32 | mbpp_custom_alpaca | 2.6 | 2.6 | 0 of 55 | 0 |" in text
    assert "dtype=float32,peft=outputs/adapters/gemma3-270m-code-r8" in text and "--batch_size 512" in text
    # commands name repo-relative paths, not the GPU machine's /tmp/codelora/repo/... the runs were made in
    assert "/tmp/codelora" not in text.split("## Provenance")[-1]
    assert "| gemma3-270m-code-r8 | 3 | 144 |" in text and (tmp_path / "results_loss.png").stat().st_size > 1000
    assert "| gemma3-270m-code-r8-mbpp | 55 |" in text  # error analysis read the archived samples
    assert text.rstrip().endswith("hand-written discussion")


def test_report_reads_samples_from_several_archives(tmp_path):
    """A run whose samples sit in another archive than the others' is still found (the base model's pass@10 from
    an earlier grid, say)."""
    import tarfile

    grid = ROOT / "tests/fixtures/grid"
    d = grid / "results"
    parts = {"a": tmp_path / "a.tar.xz", "b": tmp_path / "b.tar.xz"}
    with tarfile.open(grid / "samples.tar.xz") as src, tarfile.open(parts["a"], "w:xz") as a, \
            tarfile.open(parts["b"], "w:xz") as b:
        for m in src.getmembers():
            (b if "passk" in m.name else a).addfile(m, src.extractfile(m) if m.isfile() else None)
    out = build([str(d / "gemma-3-270m-passk"), str(d / "gemma3-270m-code-r8-float32")], tmp_path / "results.md", [],
                "Two archives", rerun_dirs=[str(d / "gemma3-270m-code-r8-float32-rerun")],
                samples=[str(parts["a"]), str(parts["b"])])
    text = out.read_text()
    assert "| gemma-3-270m-passk | 550 |" in text  # its samples came from the other archive: 55 documents x 10
    assert "| gemma3-270m-code-r8-float32 | mbpp_custom_alpaca | 2.6 | 2.6 | 0 of 55 | 0 |" in text
    assert f"--samples {parts['a']} {parts['b']}" in text


def test_a_reports_command_reruns_its_row_with_every_recorded_setting(tmp_path):
    """The command column, parsed by lm-eval's own CLI parser, gives back what the results file recorded."""
    import json
    import shlex

    from lm_eval._cli.harness import HarnessCLI

    out = tmp_path / "runs" / "x" / "results" / "main"
    (out / "models__tiny").mkdir(parents=True)
    config = {"model": "hf", "model_args": {"pretrained": "models/tiny", "dtype": "float32"}, "batch_size": "4",
              "device": "cpu", "limit": 5.0, "gen_kwargs": {"max_gen_toks": 32, "do_sample": False},
              "random_seed": 0, "numpy_seed": 1234, "torch_seed": 1234, "fewshot_seed": 1234}
    (out / "models__tiny" / "results_2026-12-02T00-00-00.json").write_text(json.dumps(
        {"config": config, "results": {"mbpp_custom_alpaca": {"pass@1,sandbox": 0.0}},
         "n-samples": {"mbpp_custom_alpaca": {"effective": 5}}}))
    (run,) = load_runs([tmp_path / "runs" / "x" / "results"])
    argv = shlex.split(run.command())
    assert argv[:2] == ["lm_eval", "run"]
    cli = HarnessCLI()
    args = cli._parser.parse_args(argv[1:])
    assert args.model == "hf" and args.tasks in ("mbpp_custom_alpaca", ["mbpp_custom_alpaca"])
    assert args.device == "cpu" and float(args.limit) == 5 and str(args.batch_size) == "4"
    assert args.gen_kwargs == {"max_gen_toks": 32, "do_sample": False}
    assert list(args.seed) == [0, 1234, 1234, 1234]
    assert args.output_path == "runs/x/results/main" and args.log_samples


def test_mcnemar_and_the_paired_bootstrap():
    from reporting.stats import mcnemar_exact, mean_sd, paired_difference

    assert mcnemar_exact(0, 5) == 0.0625 and mcnemar_exact(2, 8) == 0.109375 and mcnemar_exact(4, 4) == 1.0
    assert mcnemar_exact(0, 0) == 1.0
    first, second = [True] * 10 + [False] * 90, [True] * 30 + [False] * 70
    d = paired_difference(first, second)
    assert (d["only_first"], d["only_second"]) == (0, 20) and abs(d["diff"] - 0.2) < 1e-12
    assert 0.1 < d["lo"] < 0.2 < d["hi"] < 0.3 and d["p"] < 1e-5
    assert paired_difference(first, second) == d  # seeded: the same interval every time
    with pytest.raises(ValueError, match="equally long"):
        paired_difference([True], [True, False])
    assert mean_sd([0.02, 0.04]) == (0.03, pytest.approx(0.0141421356)) and mean_sd([0.5]) == (0.5, None)


def test_mcnemar_and_the_paired_bootstrap():
    from reporting.stats import mcnemar_exact, paired_difference

    assert mcnemar_exact(0, 5) == 0.0625 and mcnemar_exact(2, 8) == 0.109375 and mcnemar_exact(4, 4) == 1.0
    assert mcnemar_exact(0, 0) == 1.0
    d = paired_difference([0, 0, 1, 0] * 25, [1, 0, 1, 1] * 25)
    assert d["n"] == 100 and d["diff"] == 0.5 and d["lo"] > 0.3 and d["only_second"] == 50 and d["p"] < 1e-10


def test_welch_t_interval_and_holm_match_their_definitions():
    from scipy import stats

    from reporting.stats import holm, sign_flip, t_interval, welch

    a, b = [0.020, 0.020, 0.016], [0.038, 0.034, 0.034, 0.026]
    w = welch(a, b)
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert abs(w["p"] - ref.pvalue) < 1e-9 and w["lo"] < w["diff"] < w["hi"]
    t = t_interval([0.02, 0.016, 0.016])
    assert abs(t["p"] - stats.ttest_1samp([0.02, 0.016, 0.016], 0).pvalue) < 1e-9
    assert welch([0.1], [0.2, 0.3]) is None and t_interval([0.1]) is None
    # Holm: the smallest p times m, then step-down, never decreasing
    assert holm([0.01, 0.04, 0.03, 0.5]) == [0.04, 0.09, 0.09, 0.5]
    assert sign_flip([1, 1, 1, 1, 1, 0, 0]) == 0.0625  # McNemar's exact test for pass/fail differences
    assert 0.0 < sign_flip([0.5, 0.5, 1.0, 0.25, 0.0, 0.75]) < 0.1


# --- a small grid built here: 40 documents, a base model with three prompts, two configurations ---------------
DOCS = [f"fix/{i}" for i in range(40)]


def _run(root: Path, label: str, passes: dict[str, list[int]], record: dict) -> None:
    """root/label: an lm-eval results file, its samples and a run.json, as a grid writes them."""
    import json

    stamp = "2026-12-01T00-00-00.000001"
    folder = root / label / "models__x"
    folder.mkdir(parents=True)
    results, n = {}, {}
    for task, ok in passes.items():
        results[task] = {"pass@1,sandbox": sum(ok) / len(ok), "pass@1_stderr,sandbox": 0.01}
        n[task] = {"effective": len(ok)}
        with open(folder / f"samples_{task}_{stamp}.jsonl", "w") as fh:
            for i, (doc, p) in enumerate(zip(DOCS, ok)):
                verdict = {"passed": bool(p), "error": None if p else "wrong_answer", "code": "def f(): pass",
                           "syntax_valid": True, "written": True, "loc": 1.0}
                fh.write(json.dumps({"doc_id": i, "doc": {"task_id": doc, "text": doc, "prefix": ""},
                                     "doc_hash": f"h{doc}", "prompt_hash": f"{task}{doc}", "pass@1": float(p),
                                     "resps": [["def f(): pass"]], "filtered_resps": [[repr(verdict)]]}) + "\n")
    (folder / f"results_{stamp}.json").write_text(json.dumps(
        {"config": {"model": "hf", "model_args": {"pretrained": "models/x"}}, "results": results, "n-samples": n}))
    (root / label / "run.json").write_text(json.dumps(record))


def _adapter(rank: int, seed: int, training: str, step: int | None = None, last: int | None = None) -> dict:
    return {"adapter": {"path": f"outputs/adapters/{training}"}, "training": training,
            "recipe": {"name": f"fix-code-r{rank}", "variant": "code", "rank": rank, "seed": seed, "lora_dropout": 0.05,
                       "base_model": "models/x", "overrides": {} if seed == 42 else {"seed": seed},
                       "checkpoint_step": step, "last_step": last}}


def _ones(*idx: int) -> list[int]:
    return [int(i in idx) for i in range(len(DOCS))]


@pytest.fixture
def small_grid(tmp_path):
    """Base: zero-shot 2 of 40, 3-shot 4, Alpaca 0. r8: three seeds pass 3-4; r32: three seeds pass 12-14 and a
    retraining with seed 42 (its last checkpoint) 10. Folder names say nothing: only run.json does."""
    root = tmp_path / "runs"
    _run(root, "a", {"mbpp_custom": _ones(0, 1)}, {})
    _run(root, "b", {"mbpp_custom_3shot": _ones(0, 1, 2, 3)}, {})
    _run(root, "c", {"mbpp_custom_alpaca": _ones()}, {})
    for folder, seed, ok in (("d", 42, _ones(0, 1, 5)), ("e", 43, _ones(0, 1, 2, 6)), ("f", 44, _ones(0, 5, 7))):
        _run(root, folder, {"mbpp_custom_alpaca": ok}, _adapter(8, seed, f"t8-{seed}"))
    for folder, seed, n in (("g", 42, 14), ("h", 43, 12), ("i", 44, 13)):
        _run(root, folder, {"mbpp_custom_alpaca": _ones(*range(n))}, _adapter(32, seed, f"t32-{seed}"))
    _run(root, "j", {"mbpp_custom_alpaca": _ones(*range(2, 12))}, _adapter(32, 42, "t32-again", 132, 132))
    _run(root, "k", {"mbpp_custom_alpaca": _ones(*range(3))}, _adapter(32, 42, "t32-again", 44, 132))  # epoch 1
    return root


def test_the_primary_comparison_pairs_the_best_adapter_with_the_base_on_its_best_prompt(small_grid):
    from reporting.claims import family, verdict
    from reporting.runs import load_runs

    rows = family(load_runs([small_grid]))
    (primary,) = [c for c in rows if c.primary]
    # the base's best prompt is 3-shot (4 of 40 against 2 zero-shot); r32 passes most on the recipe's seed
    assert primary.title == "base (3-shot) → fix-code-r32" and primary.bench == "mbpp_custom"
    assert primary.k == (1, 4) and primary.n == 40  # four trainings of r32: three seeds and a seed-42 retraining
    assert abs(primary.second_rate - (14 + 12 + 13 + 10) / 4 / 40) < 1e-12 and abs(primary.first_rate - 0.1) < 1e-12
    assert primary.p == max(primary.p_docs, primary.trained["p"]) and verdict(primary) == "**holds**"
    # the format effect is a comparison of its own; r8 against r32 is Welch over 3 and 4 trainings
    kinds = {(c.kind, c.title) for c in rows}
    assert ("format", "base (Alpaca) → fix-code-r8") in kinds and ("adapters", "code: r8 → r32") in kinds
    pair = next(c for c in rows if c.kind == "adapters")
    assert pair.k == (3, 4) and pair.trained is not None
    # Holm over all but the primary: never below the raw p, r8 against the 3-shot base not shown
    rest = [c for c in rows if not c.primary]
    assert len(rest) == len(rows) - 1 and all(c.p_holm >= c.p for c in rest)
    r8 = next(c for c in rows if c.title == "base (3-shot) → fix-code-r8")
    assert verdict(r8) == "not shown"


def test_the_report_states_the_primary_comparison_and_how_many_were_made(small_grid, tmp_path):
    out = build([str(small_grid)], tmp_path / "r.md", [], "Small grid")
    text = out.read_text()
    claims = text.split("## Claims")[1].split("\n## ")[0]
    assert "**Primary comparison**" in claims and "base (3-shot) → fix-code-r32 **(primary)**" in claims
    n = claims.count("\n| base (") + claims.count("\n| code: ")
    assert f"The other {n - 1} comparisons are Holm-corrected together ({n} made in all)" in claims
    noise = text.split("## Training noise")[1].split("\n## ")[0]
    assert "| fix-code-r32 | mbpp_custom_alpaca | 4 |" in noise and "t32-again (seed 42, step 132): 25.0" in noise
    assert "## Learning curve" in text and "**t32-again**" in text  # its epoch-1 checkpoint, named by run.json
    assert "## Reproducibility" not in text and " among these" not in text


def test_claims_again_without_contaminated_tasks(small_grid, tmp_path):
    import json

    contamination = tmp_path / "contamination.json"
    contamination.write_text(json.dumps({"tasks": {"fix/0": [17, 4], "fix/1": [3], "fix/39": []}}))
    text = build([str(small_grid)], tmp_path / "r.md", [], "Small grid", contamination=str(contamination)).read_text()
    clean = text.split("## Benchmark tasks no training row is contaminated with")[1].split("\n## ")[0]
    assert "Left out: 2 benchmark tasks" in clean  # fix/39 lists no row
    assert "| base (3-shot) → fix-code-r32 **(primary)** | mbpp_custom | 40 → 38 |" in clean
    # the held tasks' pass rates against the rest, pooled over a configuration's trainings, and the base model's
    assert "| fix-code-r8 (3 trainings) | mbpp_custom | 5 / 6 (83.3 %) | 5 / 114 (4.4 %) |" in clean
    assert "| fix-code-r32 (4 trainings) | mbpp_custom | 6 / 8 (75.0 %) | 43 / 152 (28.3 %) |" in clean  # epoch 1 left out
    assert " (zero-shot) | mbpp_custom | 2 / 2 (100.0 %) | 0 / 38 (0.0 %) |" in clean
    assert " (3-shot) | mbpp_custom | 2 / 2 (100.0 %) | 2 / 38 (5.3 %) |" in clean
    # an earlier training set's tasks: the same rates in a section of their own, nothing left out of the claims
    text = build([str(small_grid)], tmp_path / "r3.md", [], "Small grid", earlier=str(contamination)).read_text()
    earlier = text.split("## Benchmark tasks an earlier training set held")[1].split("\n## ")[0]
    assert "2 benchmark tasks that ? of ? rows of that data held" in earlier
    assert "| fix-code-r8 (3 trainings) | mbpp_custom | 5 / 6 (83.3 %) | 5 / 114 (4.4 %) |" in earlier
    assert "## Benchmark tasks no training row" not in text and "--earlier-contamination" in text.split("\n")[2]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"rows": []}))
    with pytest.raises(SystemExit, match="bad.json: expected"):
        build([str(small_grid)], tmp_path / "r2.md", [], "x", contamination=str(bad))


def test_a_run_records_what_it_is_before_lm_eval_starts(tmp_path):
    """evaluation.lm_eval_command: the one command builder; --print shows it, a run writes run.json first."""
    import json

    from evaluation.lm_eval_command import lm_eval_command, main as command_main
    from evaluation.run_record import describe, read

    adapter = tmp_path / "adapters" / "a" / "checkpoint-44"
    adapter.mkdir(parents=True)
    (adapter / "adapter_model.safetensors").write_bytes(b"weights")
    (adapter.parent / "checkpoint-132").mkdir()
    cmd = lm_eval_command(f"pretrained=models/x,peft={adapter},dtype=float32", "mbpp_custom_alpaca", tmp_path / "out",
                          device="cpu", batch_size=4, limit=5, gen_kwargs={"max_gen_toks": 32}, seed="0,1234,1234,1234")
    assert cmd[:2] == ["lm_eval", "run"] and cmd[cmd.index("--gen_kwargs") + 1] == "max_gen_toks=32"
    rec = describe(cmd, recipe={"name": "r", "rank": 8}, training="a")
    assert rec["adapter"]["sha256"] == __import__("hashlib").sha256(b"weights").hexdigest()
    assert rec["recipe"]["checkpoint_step"] == 44 and rec["recipe"]["last_step"] == 132 and rec["limit"] == "5"
    assert rec["backend"]["name"] == "transformers" and rec["backend"]["dtype"] == "float32"
    assert rec["generation"] == {"max_gen_toks": "32"} and rec["command"] == " ".join(cmd)
    out = tmp_path / "run"
    # lm-eval is not run (an unknown launcher binary would fail): the record is written before it starts
    assert command_main(["--model-args", "pretrained=models/x", "--tasks", "mbpp_custom", "--output-path", str(out),
                         "--print"]) == 0
    assert read(out) is None
    with pytest.raises(SystemExit):
        command_main(["--model-args", "x", "--tasks", "t", "--output-path", str(out), "--record-json", "{not json"])
    json.loads(json.dumps(rec))  # a record is plain JSON
    # a grid names its adapters by absolute path; the record keeps them relative to the repository it ran in
    rooted = describe(cmd, root=tmp_path)
    assert rooted["adapter"]["path"] == "adapters/a/checkpoint-44" and rooted["base_model"]["path"] == "models/x"
    assert rooted["adapter"]["sha256"] == rec["adapter"]["sha256"] and rec["adapter"]["path"] == str(adapter)
    # the attention implementation changes what greedy decoding writes: it is part of what the run is
    assert rec["backend"]["attn_implementation"] is None
    eager = lm_eval_command("pretrained=models/x,attn_implementation=eager", "mbpp_custom", tmp_path / "out2")
    assert describe(eager)["backend"]["attn_implementation"] == "eager"


def test_a_served_run_records_its_gguf_and_adapter(tmp_path):
    """assistant.grade writes served.json; main.sh then records what was served, so the report pairs base and adapter."""
    import json

    from evaluation.run_record import main as record_main

    (tmp_path / "served.json").write_text(json.dumps({"gguf": "outputs/gguf/a/model-q4_k_m.gguf", "gguf_sha256": "ab",
                                                      "threads": 2, "tasks": "mbpp_custom_alpaca", "limit": 50,
                                                      "lm_eval_args": ["--gen_kwargs", "max_gen_toks=256"]}))
    assert record_main(["served", str(tmp_path), "--adapter", str(tmp_path / "gemma3-270m-code-r8"),
                        "--recipe", str(ROOT / "axolotl_configs/gemma3-270m-code-r8.yml")]) == 0
    rec = json.loads((tmp_path / "run.json").read_text())
    assert rec["backend"]["quantisation"] == "q4_k_m" and rec["training"] == "gemma3-270m-code-r8"
    assert rec["recipe"]["rank"] == 8 and rec["limit"] == 50 and rec["generation"] == {"max_gen_toks": "256"}
    assert rec["command"].startswith("python -m assistant.grade --gguf outputs/gguf/a/model-q4_k_m.gguf")


def test_one_label_in_two_archives_is_named_by_its_archive(tmp_path):
    """The same base label from two grids reads `LABEL (ARCHIVE)`, not a fragment of a timestamp."""
    from reporting.runs import load_runs

    base = {"model": {"path": "models/x"}}
    for grid in ("grid_a", "grid_b"):
        _run(tmp_path / "runs" / grid / "results", "gemma-3-270m", {"mbpp_custom": _ones(0)}, base)
    _run(tmp_path / "runs" / "grid_a" / "results", "only-here", {"mbpp_custom": _ones(1)}, base)
    labels = {r.label for r in load_runs([tmp_path / "runs" / g / "results" for g in ("grid_a", "grid_b")])}
    assert labels == {"gemma-3-270m (grid_a)", "gemma-3-270m (grid_b)", "only-here"}


def test_leaderboard_names_the_task_version_where_runs_graded_two():
    """A task graded at two versions (the custom suite's tests changed) says so in each cell; one version: no mark."""
    from reporting.runs import Run
    from reporting.tables import leaderboard

    def run(label, versions):
        return Run(label=label, path=Path(label), config={}, n_samples={"custom_suite": 156, "mbpp_custom": 500},
                   meta={}, versions=versions,
                   results={"custom_suite": {"pass@1,sandbox": 0.0}, "mbpp_custom": {"pass@1,sandbox": 0.02}})
    old = run("old", {"custom_suite": 1.0, "custom_suite_math": 1.0, "custom_suite_alpaca_math": 9.0, "mbpp_custom": 3.0,
                      "mbpp_custom_passk": 9.0})
    new = run("new", {"custom_suite": 1.0, "custom_suite_math": 3.0, "mbpp_custom": 3.0})
    text = "\n".join(leaderboard([old, new]))
    assert "| old | 2.0 (500) | 0.0 (156) v1.0 |" in text and "| new | 2.0 (500) | 0.0 (156) v3.0 |" in text, text
    assert "graded custom_suite at more than one" in text  # the 9.0s are other tasks' versions
    assert "| new | 2.0 (500) | 0.0 (156) |" in "\n".join(leaderboard([new]))

def test_a_groups_cell_counts_its_own_subtasks_not_another_prompts():
    """custom_suite's count and passes come from custom_suite_* subtasks, not from custom_suite_alpaca_* ones
    of the same run (another prompt format, its own column)."""
    from reporting.runs import Run
    from reporting.tables import leaderboard

    r = Run(label="both", path=Path("both"), config={}, meta={}, versions={},
            n_samples={"custom_suite_lists": 2, "custom_suite_alpaca_lists": 2},
            results={"custom_suite": {"pass@1,sandbox": 0.5}, "custom_suite_lists": {"pass@1,sandbox": 0.5},
                     "custom_suite_alpaca": {"pass@1,sandbox": 1.0}, "custom_suite_alpaca_lists": {"pass@1,sandbox": 1.0}},
            samples={"custom_suite_lists": [{"pass@1": 1.0}, {"pass@1": 0.0}],
                     "custom_suite_alpaca_lists": [{"pass@1": 1.0}, {"pass@1": 1.0}]})
    text = "\n".join(leaderboard([r]))
    assert "50.0 (1/2)" in text and "100.0 (2/2)" in text, text


def test_a_recorded_command_reads_as_the_reader_would_type_it():
    """The machine's checkout and interpreter paths are not the reader's: outputs/, models/ and the interpreter's
    name stay, the folders above them go."""
    from reporting.runs import repo_relative

    cmd = ("/srv/venv/bin/python3 -m lm_eval run --model_args pretrained=/x/y/models/g,peft=/x/y/outputs/adapters/a "
           "--output_path /x/y/outputs/eval/a")
    assert repo_relative(cmd) == ("python3 -m lm_eval run --model_args pretrained=models/g,peft=outputs/adapters/a "
                                  "--output_path outputs/eval/a")
    assert repo_relative("python -m evaluation.lm_eval_cli") == "python -m evaluation.lm_eval_cli"
