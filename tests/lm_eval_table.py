"""lm-eval's printed results table, read back: what the tests of the plugin's tasks assert on."""


def table(stdout: str) -> dict[str, list[tuple[str, str]]]:
    """lm-eval's printed tables: task or group -> its (metric, value) rows, in the order printed."""
    rows: dict[str, list[tuple[str, str]]] = {}
    task = None
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 9 or cells[4] == "Metric" or cells[4].startswith("-"):
            continue
        task = cells[0] or task
        rows.setdefault(task, []).append((cells[4], cells[6]))
    return rows


def assert_pass_at_1_first_and_no_nan(stdout: str, tasks: list[str]) -> dict[str, list[tuple[str, str]]]:
    rows = table(stdout)
    for task in tasks:
        assert rows[task][0][0] == "pass@1", (task, rows[task])
        assert not [m for m, v in rows[task] if "nan" in v.lower()], (task, rows[task])
    return rows
