"""python benchmarks/gguf_tokenizer_agreement.py --hf models/gemma-3-270m GGUF [GGUF ...] [--out FILE.json]

How many of the plugin's Alpaca prompts (MBPP test split, MBPP+, HumanEval, the custom suite) each GGUF's tokenizer
(llama.cpp, vocab only) splits into the same token ids as the Hugging Face tokenizer of --hf: the tokenizer an
adapter was trained and graded with in Transformers. Prints one line per GGUF, and the most common first
difference; --out also writes the task ids of the prompts split otherwise (reporting.quantisation reads them)."""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# the plugin's task each set is graded by (reporting.quantisation pairs documents by task)
TASKS = {"mbpp": "mbpp_custom_alpaca", "mbppplus": "mbppplus_custom_alpaca", "humaneval": "humaneval_custom_alpaca",
         "custom": "custom_suite_alpaca"}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hf", required=True, help="the Hugging Face folder whose tokenizer is the reference")
    p.add_argument("gguf", nargs="+")
    p.add_argument("--out", type=Path, help="JSON: per GGUF its tokenizer fields, counts and differing task ids")
    a = p.parse_args(argv)
    from common.quiet import quiet_libraries

    quiet_libraries()
    import llama_cpp
    from transformers import AutoTokenizer

    from assistant.gguf_metadata import Gguf
    from custom_suite import as_docs
    from evaluation.documents import humaneval_docs, mbpp_docs, mbppplus_docs, prompt_alpaca

    hf = AutoTokenizer.from_pretrained(a.hf)
    sets = {"mbpp": mbpp_docs(), "mbppplus": mbppplus_docs(), "humaneval": humaneval_docs(), "custom": as_docs()}
    prompts = {name: [prompt_alpaca(d) for d in docs] for name, docs in sets.items()}
    want = {name: [hf(x)["input_ids"] for x in ps] for name, ps in prompts.items()}
    rows = []
    for path in a.gguf:
        meta = Gguf(path)
        vocab = llama_cpp.Llama(path, vocab_only=True, verbose=False)
        firsts, cells, counts = Counter(), [], {}
        for name, ps in prompts.items():
            differ = []
            for doc, text, ids in zip(sets[name], ps, want[name]):
                got = vocab.tokenize(text.encode(), add_bos=True, special=False)
                if got == ids:
                    continue
                differ.append(doc["task_id"])
                i = next((i for i, (x, y) in enumerate(zip(got, ids)) if x != y), min(len(got), len(ids)))
                firsts[(hf.decode(ids[i:i + 2]), repr([vocab.detokenize([t]).decode(errors="replace")
                                                       for t in got[i:i + 2]]))] += 1
            counts[TASKS[name]] = {"same": len(ps) - len(differ), "of": len(ps), "differ": differ}
            cells.append(f"{name} {len(ps) - len(differ)}/{len(ps)}")
        model, pre = meta.value("tokenizer.ggml.model"), meta.value("tokenizer.ggml.pre")
        print(f"{path} (tokenizer.ggml.model={model}, pre={pre}): same ids as {a.hf}: {', '.join(cells)}")
        for (ref, got), n in firsts.most_common(3):
            print(f"  {n} prompts first differ at {ref!r}: Transformers one way, llama.cpp as {got}")
        rows.append({"gguf": path, "tokenizer.ggml.model": model, "tokenizer.ggml.pre": pre, "tasks": counts,
                     "first_differences": [[ref, got, n] for (ref, got), n in firsts.most_common(3)]})
    if a.out:
        cmd = "python benchmarks/gguf_tokenizer_agreement.py " + " ".join(shlex.quote(x) for x in sys.argv[1:])
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps({"command": cmd, "reference": a.hf, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
