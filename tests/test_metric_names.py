"""lm-eval's table of the plugin's tasks: pass@1 first, no `NaN` rows (a measure no sample has is left out, the
data-parallel ranks agreeing on which), and runs made under the metrics' former names still read by the reports."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from evaluation.grading import MEASURES, RENAMED, doc_metrics, nanmean
from evaluation.regrade import _reaggregate
from evaluation.unmeasured import drop_unmeasured, measured
from lm_eval_table import assert_pass_at_1_first_and_no_nan
from lm_eval_tasks.__main__ import _Loader
from reporting.runs import Run, load_runs

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def verdict(**measures) -> dict:
    """A graded sample: a failure with the given measures (grading.grade's keys)."""
    return {"passed": False, "error": "wrong_answer", "syntax_valid": True, "runs_clean": True,
            "in_process_tests": 0, **{key: None for key in MEASURES}, **measures}


def test_every_metric_sorts_after_pass_at_1_and_the_former_names_are_gone():
    """lm-eval's make_table sorts a task's `metric,filter` keys as strings."""
    template = yaml.load((ROOT / "lm_eval_tasks/_codeeval_template_yaml").read_text(), Loader=_Loader)
    names = [m["metric"] for m in template["metric_list"]]
    assert sorted(f"{n},sandbox" for n in names)[0] == "pass@1,sandbox"
    assert set(RENAMED.values()) <= set(names) and not set(RENAMED) & set(names)
    assert set(MEASURES.values()) <= set(names) and template["metadata"]["version"] == 3.0
    metrics = doc_metrics([verdict(loc=2.0, has_docstring=1.0, pep8_per_line=0.0, has_comment=0.0, complexity=1.0)])
    assert set(metrics) <= set(names)  # what process_results reports is what the task declares


@pytest.mark.parametrize("model,measures", [("codeeval-empty", set()), ("codeeval-oracle", set(MEASURES.values()))])
def test_lm_evals_table_leads_with_pass_at_1_and_leaves_out_what_no_sample_measured(tmp_path, model, measures):
    """Through lm-eval's own CLI (evaluation.lm_eval_cli registers the reference answerers): an empty answer has no
    code quality and no runtime, so those rows are left out instead of `NaN ± N/A`; the references have them all."""
    proc = subprocess.run([sys.executable, "-m", "evaluation.lm_eval_cli", "run", "--model", model,
                           "--include_path", "lm_eval_tasks", "--tasks", "humaneval_custom", "--limit", "2",
                           "--output_path", str(tmp_path)], cwd=ROOT, env=ENV, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = assert_pass_at_1_first_and_no_nan(proc.stdout, ["humaneval_custom"])["humaneval_custom"]
    shown = {m for m, _ in rows}
    assert "verdict_syntax" in shown and shown & set(MEASURES.values()) == measures, shown
    (results,) = tmp_path.rglob("results_*.json")
    entry = json.loads(results.read_text())["results"]["humaneval_custom"]
    assert {k.split(",")[0] for k in entry} & set(MEASURES.values()) == measures, entry


def test_a_measure_is_left_out_only_where_no_sample_has_it():
    resps = [[verdict(loc=3.0), verdict()], [verdict(has_docstring=math.nan)]]
    assert measured(resps) == {"loc"}
    kept = drop_unmeasured(resps, [{}, {}])
    assert all("loc" in v and "has_docstring" not in v and "runtime_ratio" not in v for vs in kept for v in vs)
    first, second = doc_metrics(kept[0]), doc_metrics(kept[1])
    assert first["quality_loc"] == 3.0 and math.isnan(second["quality_loc"])  # nanmean skips the second document
    assert list(first) == list(second) and "quality_docstring" not in first and "runtime_ratio" not in first
    assert "quality_docstring" in doc_metrics([verdict()])  # graded without the drop: a NaN, as before


_RANK = """
import json, sys
import torch.distributed as dist
from evaluation.grading import doc_metrics
from evaluation.unmeasured import drop_unmeasured
rank, store, resps = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
kept = drop_unmeasured(resps, [{}] * len(resps))
dist.destroy_process_group()
print(json.dumps({"kept": kept, "metrics": [list(doc_metrics(v)) for v in kept]}))
"""


def test_data_parallel_ranks_keep_a_measure_one_of_them_has(tmp_path):
    """Two ranks over a gloo group on CPU: rank 0's samples have no docstring measure, rank 1's one has; both keep
    it, both leave out the runtime ratio that neither has, and both report the same metrics in the same order (lm-eval
    gathers them to rank 0 one collective call per name)."""
    shares = [[[verdict(loc=1.0)]], [[verdict(loc=2.0, has_docstring=1.0)], [verdict()]]]
    procs = [subprocess.Popen([sys.executable, "-c", _RANK, str(rank), str(tmp_path / "store"), json.dumps(share)],
                              cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for rank, share in enumerate(shares)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-2000:] for _, err in outs]
    ranks = [json.loads(out) for out, _ in outs]
    for r in ranks:
        assert all("has_docstring" in v and "loc" in v and "runtime_ratio" not in v for vs in r["kept"] for v in vs)
    names = {tuple(m) for r in ranks for m in r["metrics"]}
    assert len(names) == 1 and "quality_docstring" in next(iter(names)) and "runtime_ratio" not in next(iter(names))


def test_a_report_reads_a_run_made_under_the_former_names():
    (run,) = load_runs([ROOT / "tests/fixtures/grid/results/gemma3-270m-code-r8-mbpp"])
    task = "mbpp_custom_alpaca"
    raw = run.results[task]
    assert "loc,sandbox" in raw and "quality_loc,sandbox" not in raw  # committed before the rename
    assert run.metric(task, "quality_loc") == (raw["loc,sandbox"], None)  # its standard error is "N/A"
    assert run.metric(task, "verdict_syntax") == (raw["err_syntax,sandbox"], raw["err_syntax_stderr,sandbox"])
    assert run.metric(task, "runtime_ratio")[0] == raw["runtime_ratio,sandbox"]
    today = Run("new", Path("new"), {}, {task: {"quality_loc,sandbox": 2.0, "loc,sandbox": 9.0}}, {}, {})
    assert today.metric(task, "quality_loc") == (2.0, None)  # a run's own current name comes first


def test_regrading_a_run_made_under_the_former_names_writes_todays():
    config = {"metric_list": [{"metric": "err_syntax", "aggregation": "mean"},
                              {"metric": "has_docstring", "aggregation": nanmean},
                              {"metric": "loc", "aggregation": nanmean}]}
    entry = {"alias": "t", "err_syntax,sandbox": 0.9, "has_docstring,sandbox": 0.3, "loc,sandbox": 7.0}
    _reaggregate(entry, [{"verdict_syntax": 1.0, "quality_loc": 2.0}, {"verdict_syntax": 0.0}], config)
    # the former names' figures go; no sample measured a docstring now, so it has no figure at all
    assert entry == {"alias": "t", "verdict_syntax,sandbox": 0.5, "verdict_syntax_stderr,sandbox": 0.5,
                     "quality_loc,sandbox": 2.0, "quality_loc_stderr,sandbox": "N/A"}
