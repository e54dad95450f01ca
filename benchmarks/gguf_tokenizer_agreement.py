"""python benchmarks/gguf_tokenizer_agreement.py --hf models/gemma-3-270m GGUF [GGUF ...]

How many of the plugin's Alpaca prompts (MBPP test split, MBPP+, HumanEval) each GGUF's tokenizer (llama.cpp,
vocab only) splits into the same token ids as the Hugging Face tokenizer of --hf: the tokenizer an adapter was
trained and graded with in Transformers. Prints one line per GGUF, and the most common first difference."""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hf", required=True, help="the Hugging Face folder whose tokenizer is the reference")
    p.add_argument("gguf", nargs="+")
    a = p.parse_args(argv)
    from common.quiet import quiet_libraries

    quiet_libraries()
    import llama_cpp
    from transformers import AutoTokenizer

    from assistant.gguf_metadata import Gguf
    from evaluation.documents import humaneval_docs, mbpp_docs, mbppplus_docs, prompt_alpaca

    hf = AutoTokenizer.from_pretrained(a.hf)
    sets = {"mbpp": mbpp_docs(), "mbppplus": mbppplus_docs(), "humaneval": humaneval_docs()}
    prompts = {name: [prompt_alpaca(d) for d in docs] for name, docs in sets.items()}
    want = {name: [hf(x)["input_ids"] for x in ps] for name, ps in prompts.items()}
    for path in a.gguf:
        meta = Gguf(path)
        vocab = llama_cpp.Llama(path, vocab_only=True, verbose=False)
        firsts, cells = Counter(), []
        for name, ps in prompts.items():
            same = 0
            for text, ids in zip(ps, want[name]):
                got = vocab.tokenize(text.encode(), add_bos=True, special=False)
                if got == ids:
                    same += 1
                    continue
                i = next((i for i, (x, y) in enumerate(zip(got, ids)) if x != y), min(len(got), len(ids)))
                firsts[(hf.decode(ids[i:i + 2]), repr([vocab.detokenize([t]).decode(errors="replace")
                                                       for t in got[i:i + 2]]))] += 1
            cells.append(f"{name} {same}/{len(ps)}")
        print(f"{path} (tokenizer.ggml.model={meta.value('tokenizer.ggml.model')}, "
              f"pre={meta.value('tokenizer.ggml.pre')}): same ids as {a.hf}: {', '.join(cells)}")
        for (ref, got), n in firsts.most_common(3):
            print(f"  {n} prompts first differ at {ref!r}: Transformers one way, llama.cpp as {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
