"""The report builder on result folders from real lm-eval runs (tiny Mistral + two trained adapters, committed
under tests/fixtures/eval by `scripts/evaluate.sh`), and the blind rating sheet round trip."""
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
    assert "peft=" in runs["tiny-mistral-code-r8"].command()


def test_report_has_every_section_and_plot(tmp_path):
    out = build([str(FIXTURES)], tmp_path / "results.md", str(ROOT / "data/prepared/manifest.json"), "Fixture report")
    text = out.read_text()
    for section in ("## Leaderboard", "## Rank comparison", "## Data-variant comparison", "## Per category and topic",
                    "## Error analysis", "## Code quality", "## Provenance"):
        assert section in text
    assert "| code | 8 |" in text and "| code_explained | 8 |" in text
    assert "**Custom suite, " in text and "| strings |" not in text.split("## Per category")[0] and "lm_eval run --model hf" in text
    assert (tmp_path / "results_ranks.png").stat().st_size > 1000
    assert (tmp_path / "results_categories.png").stat().st_size > 1000


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
                tmp_path / "results.md", None, "Grid",
                rerun_dirs=[str(d / "gemma3-270m-code-r8-mbpp-rerun"), str(d / "gemma3-270m-code-r8-float32-rerun")],
                samples=[str(grid / "samples.tar.xz")], training=str(grid / "training"))
    text = out.read_text()
    assert "| gemma-3-270m | mbpp_custom_passk | 10 | 0.3 | 1.4 | 2.2 | 500 |" in text
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
    out = build([str(d / "gemma-3-270m-passk"), str(d / "gemma3-270m-code-r8-float32")], tmp_path / "results.md", None,
                "Two archives", rerun_dirs=[str(d / "gemma3-270m-code-r8-float32-rerun")],
                samples=[str(parts["a"]), str(parts["b"])])
    text = out.read_text()
    assert "| gemma-3-270m | 550 |" in text  # its samples came from the other archive: 55 documents x 10
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


def test_paired_comparisons_and_seed_spread_on_the_committed_grid(tmp_path):
    """runs/gemma_grid_3: the base (Alpaca prompt) against two adapters, r8 against r32, on the same documents; a
    second evaluation of the r8 adapter filed as another seed gives that configuration a spread (0: it repeated)."""
    from reporting.results import paired_comparisons, seed_table

    d = ROOT / "runs/gemma_grid_3/results"
    seed = tmp_path / "gemma3-270m-code-r8-seed43"
    shutil.copytree(d / "gemma3-270m-code-r8-rerun", seed)
    samples = tmp_path / "samples"
    (samples / seed.name).mkdir(parents=True)
    subprocess.run(["tar", "-xJf", str(ROOT / "runs/gemma_grid_3/samples.tar.xz"), "-C", str(samples),
                    "./gemma3-270m-code-r8-rerun", "./gemma3-270m-code-r8", "./gemma3-270m-code-r32",
                    "./gemma-3-270m-alpaca"], check=True)
    for f in (samples / "gemma3-270m-code-r8-rerun").iterdir():
        shutil.copytree(f, samples / seed.name / f.name)
    runs = [r for folder in (d / "gemma-3-270m-alpaca", d / "gemma3-270m-code-r8", d / "gemma3-270m-code-r32")
            for r in load_runs([folder], samples_root=samples)] + load_runs([seed], samples_root=samples)
    table = "\n".join(seed_table(runs))
    assert "| gemma3-270m-code-r8 | 42, 43 | 3.2 ± 0.0 |" in table
    text = "\n".join(paired_comparisons(runs))
    assert "| base → gemma3-270m-code-r8 | mbpp_custom_alpaca | 500 | 0.0 | 3.2 | +3.2 | [+1.8, +4.8] | 0 / 16 |" in text
    assert "| 0.0 | 42: +3.2, 43: +3.2 | **survives** |" in text  # a seed spread of 0 bounds nothing
    r32 = next(line for line in text.splitlines() if line.startswith("| base → gemma3-270m-code-r32 | mbpp_custom_alpaca"))
    assert r32.endswith("| – | – | significant (one seed: code-r32) |")  # trained once: its own spread is unknown
    assert "| code: r8 → r32 | mbpp_custom_alpaca | 500 | 3.2 | 3.0 | -0.2 |" in text
    assert "not significant" in text


def test_the_variant_question_measures_what_the_explanations_changed():
    """runs/gemma_grid_3, code r8 against code_explained r8 on all 1,218 Alpaca documents: the explained adapter
    writes its "Explanation:" after the code (left out by the extractor) and misses the name or signature more."""
    from reporting.results import load_archived_runs, variant_question

    d = ROOT / "runs/gemma_grid_3/results"
    (runs,) = load_archived_runs([[str(d / "gemma3-270m-code-r8"), str(d / "gemma3-270m-code_explained-r8")]],
                                 [str(ROOT / "runs/gemma_grid_3/samples.tar.xz")])
    text = "\n".join(variant_question(runs))
    assert "| r8 | wrong name / signature % | 1218 | 46.5 | 50.1 | +3.6 | [1.9, 5.3] |" in text
    assert "| r8 | text left out by the extractor % | 1218 | 2.2 | 91.1 | +88.9 |" in text
    assert "| r8 | lines of code | 1184 |" in text  # only answers with code of their own have a length


@pytest.mark.slow
def test_a_difference_one_training_seed_shows_is_not_called_surviving():
    """runs/gemma_grid_4, code r32 with LoRA dropout 0.05 and 0, three seeds each: seed 42 alone loses 1.6 MBPP
    points without dropout (McNemar p 0.02, more than twice the seed spread), seeds 43 and 44 lose 0.4 and 0; r8 -> r32
    gains in every seed, and stays compared when r16, trained once, lies between them."""
    from reporting.results import load_archived_runs, paired_comparisons

    d = ROOT / "runs/gemma_grid_4/results"
    names = [f"gemma3-270m-code-{c}{s}" for c in ("r8", "r32", "r32-dropout0") for s in ("", "-seed43", "-seed44")]
    names.append("gemma3-270m-code-r16")
    (runs,) = load_archived_runs([[str(d / n) for n in names]], [str(ROOT / "runs/gemma_grid_4/samples.tar.xz")])
    text = "\n".join(paired_comparisons(runs))
    assert ("| r32 code: dropout 0.05 → 0 | mbpp_custom_alpaca | 500 | 3.8 | 2.2 | -1.6 | [-3.0, -0.4] | 9 / 1 | 0.0215 "
            "| 0.6 | 42: -1.6, 43: -0.4, 44: +0.0 | inside seed noise |") in text
    assert "| code: r8 → r32 | mbpp_custom_alpaca | 500 | 2.0 | 3.8 | +1.8 |" in text
    assert "| 0.2 | 42: +1.8, 43: +1.4, 44: +1.8 | **survives** |" in text
    assert "| code: r8 → r16 | mbpp_custom_alpaca | 500 | 2.0 | 2.8 | +0.8 |" in text
    assert "| code: r16 → r32 | mbpp_custom_alpaca | 500 | 2.8 | 3.8 | +1.0 |" in text


@pytest.mark.slow
def test_the_base_model_is_paired_with_every_training_of_an_adapter():
    """runs/gemma_grid_4: the base model with the Alpaca prompt passes nothing; code_explained r8's MBPP gain holds
    in all three seeds, its HumanEval gain (4 of 164 for seed 42, McNemar p 0.125) is not called significant."""
    from reporting.results import load_archived_runs, paired_comparisons

    d = ROOT / "runs/gemma_grid_4/results"
    names = ["gemma-3-270m-alpaca"] + [f"gemma3-270m-code_explained-r8{s}" for s in ("", "-seed43", "-seed44")]
    (runs,) = load_archived_runs([[str(d / n) for n in names]], [str(ROOT / "runs/gemma_grid_4/samples.tar.xz")])
    text = "\n".join(paired_comparisons(runs))
    assert "| base → gemma3-270m-code_explained-r8 | mbpp_custom_alpaca | 500 | 0.0 | 1.8 | +1.8 |" in text
    assert ("| base → gemma3-270m-code_explained-r8 | humaneval_custom_alpaca | 164 | 0.0 | 2.4 | +2.4 | [+0.6, +4.9] "
            "| 0 / 4 | 0.125 | 0.7 | 42: +2.4, 43: +2.4, 44: +3.7 | not significant |") in text
    mbpp = next(line for line in text.splitlines()
                if line.startswith("| base → gemma3-270m-code_explained-r8 | mbpp_custom_alpaca |"))
    assert mbpp.endswith("| **survives** |")


@pytest.mark.slow
def test_variant_differences_are_shown_for_every_training_seed():
    """runs/gemma_grid_4, code r8 and code_explained r8 trained with seeds 42 and 44: the wrong name / signature
    difference that is significant for seed 42 reverses for seed 44; the stripped explanation text holds in both."""
    from reporting.results import changes_by_type, load_archived_runs, variant_question

    d = ROOT / "runs/gemma_grid_4/results"
    names = ["gemma3-270m-code-r8", "gemma3-270m-code-r8-seed44", "gemma3-270m-code_explained-r8",
             "gemma3-270m-code_explained-r8-seed44"]
    (runs,) = load_archived_runs([[str(d / n) for n in names]], [str(ROOT / "runs/gemma_grid_4/samples.tar.xz")])
    text = "\n".join(variant_question(runs))
    assert ("| r8 | wrong name / signature % | 1218 | 46.8 | 50.0 | +3.2 | [1.4, 5.1] | 42: +3.2, 44: -1.0 "
            "(mean +1.1 ± 3.0) |") in text
    assert "| r8 | text left out by the extractor % | 1218 | 1.9 | 88.4 | +86.5 | [84.6, 88.5] | 42: +86.5, 44: +85.1" in text
    changes = "\n".join(changes_by_type(runs))
    assert "| r8: code → code_explained | error: name_signature | 1218 | 46.8 | 50.0 | +3.2 |" in changes
    assert "| 0.000999 | 42: +3.2, 44: -1.0 |" in changes


def test_task_and_error_types_that_changed_come_with_a_document():
    from reporting.results import changes_by_type, load_archived_runs

    d = ROOT / "runs/gemma_grid_3/results"
    (runs,) = load_archived_runs([[str(d / "gemma3-270m-code-r8"), str(d / "gemma3-270m-code-r32")]],
                                 [str(ROOT / "runs/gemma_grid_3/samples.tar.xz")])
    text = "\n".join(changes_by_type(runs))
    # r8 passes 1 of 391 math documents (MBPP, MBPP+, custom suite), r32 13
    assert "| code: r8 → r32 | pass@1, math | 391 | 0.3 | 3.3 | +3.1 |" in text
    assert "| code: r8 → r32 | error: timeout | 1218 |" in text and "custom/file-01: passes → timeout" in text
    assert "error: syntax" not in text  # 1.6 % against 1.4 %: not a change


def test_learning_curve_ends_with_the_adapter_itself():
    """runs/gemma_grid_4: per-epoch checkpoints (labelled ADAPTER-checkpoint-STEP) and, as the last epoch's row,
    the adapter's own evaluation (the last checkpoint holds its weights)."""
    from reporting.results import learning_curve, load_runs

    grid = Path(__file__).resolve().parents[1] / "runs" / "gemma_grid_4"
    runs = load_runs([grid / "results" / n for n in ("gemma3-270m-code-r8", "gemma3-270m-code-r8-checkpoint-44",
                                                     "gemma3-270m-code-r8-checkpoint-88")])
    assert sorted(r.label for r in runs) == ["gemma3-270m-code-r8", "gemma3-270m-code-r8-checkpoint-44",
                                             "gemma3-270m-code-r8-checkpoint-88"]
    text = "\n".join(learning_curve(runs, grid / "training"))
    assert "| 44 | 1 | 0.661 | 0.6 ± 0.6 | 1.6 ± 0.6 |" in text and "| 88 | 2 | 0.640 | 0.6 ± 0.6 | 3.0 ± 0.8 |" in text
    assert "| 132 (the adapter) | 3 | 0.640 | 0.6 ± 0.6 | 2.0 ± 0.6 |" in text
    assert "humaneval" not in text  # only the tasks the checkpoints were evaluated on


def test_a_learning_curve_cut_short_shows_every_epoch_and_names_its_training():
    """runs/gemma_grid_4: the third training of code r32 (archived as gemma3-270m-code-r32-retrain2, its results
    folder renamed from the grid's label) had only its epoch-1 checkpoint evaluated; epochs 2 and 3 show their
    validation loss and no pass@1, and no row is taken for the adapter's own evaluation."""
    from reporting.results import learning_curve, load_runs

    grid = ROOT / "runs" / "gemma_grid_4"
    runs = load_runs([grid / "results" / "gemma3-270m-code-r32-retrain2-checkpoint-44"])
    assert [r.label for r in runs] == ["gemma3-270m-code-r32-retrain2-checkpoint-44"]  # not the path's code-r32
    text = "\n".join(learning_curve(runs, grid / "training"))
    assert "**gemma3-270m-code-r32-retrain2**" in text
    assert "| 44 | 1 | 0.644 | 1.9 ± 1.1 | 1.8 ± 0.6 |" in text
    assert "| 88 | 2 | 0.628 | not evaluated | not evaluated |" in text
    assert "| 132 | 3 | 0.638 | not evaluated | not evaluated |" in text
    assert "(the adapter)" not in text and "*not evaluated*" in text


def test_a_learning_curve_pairs_each_epoch_with_the_next():
    """runs/gemma_grid_4: code r32's fourth training (retrain3), all three epochs evaluated on MBPP and the custom
    suite: each checkpoint against the next on the same documents (epoch 3's rising validation loss, 0.626 -> 0.636,
    with 7 MBPP tasks lost and 5 gained). The leaderboard lists the checkpoints in step order, not as strings."""
    from reporting.results import leaderboard, learning_curve, load_archived_runs

    grid = ROOT / "runs" / "gemma_grid_4"
    (runs,) = load_archived_runs([[str(grid / "results" / f"gemma3-270m-code-r32-retrain3-checkpoint-{step}")
                                   for step in (132, 44, 88)]], [str(grid / "samples.tar.xz")])
    text = "\n".join(learning_curve(runs, grid / "training"))
    assert "| 44 | 1 | 0.645 | 1.9 ± 1.1 | 1.4 ± 0.5 |" in text and "| 132 | 3 | 0.636 | 1.3 ± 0.9 | 2.6 ± 0.7 |" in text
    assert "| gemma3-270m-code-r32-retrain3 | 44 → 88 | mbpp_custom_alpaca | 500 | +1.6 | [+0.4, +3.0] | 2 / 10 |" in text
    assert ("| gemma3-270m-code-r32-retrain3 | 88 → 132 | mbpp_custom_alpaca | 500 | -0.4 | [-1.8, +1.0] | 7 / 5 "
            "| 0.774 |") in text
    assert "44 → 132" not in text  # only neighbouring steps
    rows = [line.split(" | ")[0] for line in leaderboard(runs) if "checkpoint" in line]
    assert rows == [f"| gemma3-270m-code-r32-retrain3-checkpoint-{step}" for step in (44, 88, 132)]


def test_pass_at_k_runs_are_paired_task_by_task():
    """The base model's pass@10 (grid 1, its own prompt) against code r32's (grid 4, Alpaca prompt) over the same 500
    MBPP tasks: 11 and 43 solved, 3 only by the base, 35 only by the adapter."""
    from reporting.results import load_archived_runs, passk_pairs

    dirs = [str(ROOT / "runs/gemma_grid/results/gemma-3-270m-passk"),
            str(ROOT / "runs/gemma_grid_4/results/gemma3-270m-code-r32-retrain2-passk")]
    (runs,) = load_archived_runs([dirs], [str(ROOT / "runs/gemma_grid_4/samples.tar.xz"),
                                          str(ROOT / "runs/gemma_grid/samples.tar.xz")])
    text = "\n".join(passk_pairs(runs))
    assert ("| gemma-3-270m (mbpp_custom_passk) → gemma3-270m-code-r32 (mbpp_custom_alpaca_passk) "
            "| 500 | 2.2 | 8.6 | +6.4 | [+4.2, +8.8] | 3 / 35 | 6.68e-08 |") in text
    assert passk_pairs(runs[:1]) == []  # one run: nothing to pair
