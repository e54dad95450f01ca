"""lm-eval's table of the plugin's tasks leads with pass@1, and runs made under the metrics' former names are still
read by the reports."""
from pathlib import Path

import yaml

from evaluation.grading import MEASURES, RENAMED, doc_metrics, nanmean
from evaluation.regrade import _aggregate
from lm_eval_tasks.__main__ import _Loader
from reporting.runs import Run, load_runs

ROOT = Path(__file__).resolve().parents[1]


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
                              {"metric": "has_docstring", "aggregation": nanmean}]}
    out = _aggregate([{"verdict_syntax": 1.0, "quality_docstring": 1.0}, {"verdict_syntax": 0.0}], config)
    assert out == {"verdict_syntax,sandbox": 0.5, "verdict_syntax_stderr,sandbox": 0.5,
                   "quality_docstring,sandbox": 1.0, "quality_docstring_stderr,sandbox": "N/A"}
