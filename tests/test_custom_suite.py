from pathlib import Path

import pytest

from custom_suite import CATEGORIES, SuiteError, as_docs, load_tasks
from custom_suite.lm_eval_tasks import main as lm_eval_tasks_main
from custom_suite.validate import ambiguity_problems, main as validate_main, schema_problems

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_validation_command_passes_with_the_mutation_table(tmp_path, capsys):
    assert validate_main(["--no-progress", "--markdown", str(tmp_path / "v.md")]) == 0
    out = capsys.readouterr().out
    assert "all checks passed" in out
    for cat in CATEGORIES:
        assert f"| {cat} |" in out
    assert "mutation score" in (tmp_path / "v.md").read_text()


def test_suite_size_and_shape():
    tasks = load_tasks()
    assert len(tasks) >= 150
    assert all(sum(t["category"] == c for t in tasks) >= 10 for c in CATEGORIES)
    assert all(len(t["tests"]) >= 5 for t in tasks)
    docs = as_docs()
    assert {d["category"] for d in docs} == set(CATEGORIES) and all(d["setup"] for d in docs)


def test_validator_catches_bad_tasks():
    good = dict(load_tasks()[0])
    few_tests = {**good, "id": "x", "tests": good["tests"][:2]}
    wrong_name = {**good, "id": "y", "signature": "def not_defined(x)", "entry_point": "not_defined"}
    problems = schema_problems([good, few_tests, wrong_name])
    assert any("x: 2 tests" in p for p in problems)
    assert any("does not define not_defined" in p for p in problems)
    unstated = {**good, "id": "z", "tests": [f"assert raises(KeyError, {good['entry_point']}, 1)"]}
    assert any("expects KeyError" in p for p in ambiguity_problems([unstated]))


def test_a_broken_record_is_named(tmp_path):
    (tmp_path / "strings.yaml").write_text("- id: bad-1\n  difficulty: easy\n")
    with pytest.raises(SuiteError, match="strings.yaml record 1 \\(bad-1\\): missing"):
        load_tasks.__wrapped__(str(tmp_path))


def test_lm_eval_task_files_are_in_sync():
    assert lm_eval_tasks_main(["--check"]) == 0
