"""scripts/_installed.py, setup.sh's reason to skip pip: it must say "unmet" whenever pip would have work to do."""
import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("installed", ROOT / "scripts" / "_installed.py")
installed = importlib.util.module_from_spec(spec)
spec.loader.exec_module(installed)


def pyproject(tmp_path, deps, optional):
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\ndependencies = {deps!r}\n[project.optional-dependencies]\n'
        + "".join(f"{k} = {v!r}\n" for k, v in optional.items())
        + '[tool.setuptools.packages.find]\ninclude = ["demo*"]\n')
    return tmp_path / "pyproject.toml"


def test_missing_wrong_version_and_nested_extras_are_unmet(tmp_path):
    import yaml
    path = pyproject(tmp_path, ["packaging"], {"a": ["pyyaml==0.0.1"], "b": ["surely-not-installed-xyz"],
                                                "all": ["demo[a,b]"]})
    own, problems = installed.unmet(path, ["all"], [])
    assert own == ["demo (not installed)"]
    assert sorted(problems) == [f"pyyaml==0.0.1 ({yaml.__version__} installed)", "surely-not-installed-xyz (not installed)"]


def test_what_is_installed_is_met_transitively_and_a_pin_overrides_other_bounds(tmp_path):
    from importlib import metadata
    v = metadata.version("packaging")
    path = pyproject(tmp_path, [f"packaging=={v}", "pytest"], {})
    assert installed.unmet(path, [], [])[1] == []  # pytest's own requirements (pluggy, iniconfig, ...) included
    assert installed.unmet(path, [], ["packaging==0.1"])[1] == ["packaging==0.1 (%s installed)" % v]
    path = pyproject(tmp_path, ["packaging<0.1"], {})  # a bound some other package puts on a pinned one
    assert installed.unmet(path, [], [f"packaging=={v}"])[1] == []


def test_this_checkout_as_setup_sh_asks():
    rc = subprocess.run([sys.executable, ROOT / "scripts" / "_installed.py", "all", "--pin", "pyyaml==0.0.1"],
                        capture_output=True).returncode
    assert rc == 1
