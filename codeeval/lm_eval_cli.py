"""`python -m codeeval.lm_eval_cli ARGS` = `lm_eval ARGS` with the project's reference models
(`codeeval-oracle`, `codeeval-empty`) registered. lm-eval has no plugin discovery for models, so this is the
documented equivalent of `lm_eval --model codeeval-oracle ...`; real models need nothing but `lm_eval`."""
from lm_eval.__main__ import cli_evaluate

from . import lm_models  # noqa: F401  (registers the models)

if __name__ == "__main__":
    cli_evaluate()
