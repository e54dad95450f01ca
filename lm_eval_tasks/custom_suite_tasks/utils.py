from lm_eval_tasks.utils import *  # noqa: F401,F403  (one shared glue module)
