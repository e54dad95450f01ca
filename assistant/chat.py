"""python -m assistant.chat --gguf FILE          (starts llama.cpp's server on it)
python -m assistant.chat --url http://127.0.0.1:8000/v1 --model NAME   (any OpenAI-compatible server)

Type an instruction, get the Python the model writes for it (the Alpaca prompt the adapters were trained on,
greedy). Then `:test assert f(2) == 4` adds a test, `:run` runs the last code against the tests in the sandbox,
`:clear` forgets the tests, `:quit` (or Ctrl-D) leaves. One-shot use, for scripts and notebooks:

  python -m assistant.chat --gguf model-q8_0.gguf -i "Write a function add(a, b) that returns a + b." \\
      --test "assert add(2, 3) == 5"

prints the code and each test's verdict, and exits 0 only when every test passed."""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field

from common.prompts import alpaca_prompt
from common.quiet import quiet_libraries
from evaluation.extract import extract_code

from .export import STOPS
from .serve import Server, ServerError, complete


@dataclass
class Answer:
    instruction: str
    text: str
    code: str
    verdicts: list[tuple[str, str]] = field(default_factory=list)  # (test, status[: message])

    @property
    def passed(self) -> bool:
        return bool(self.verdicts) and all(v == "pass" for _, v in self.verdicts)


def ask(base_url: str, model: str, instruction: str, max_tokens: int = 512) -> Answer:
    answer = complete(base_url, model, alpaca_prompt(instruction), max_tokens, STOPS)
    try:
        text = answer["choices"][0]["text"]
    except (KeyError, IndexError, TypeError):
        raise ServerError(f"{base_url}/completions did not answer with a completion: {str(answer)[:300]}") from None
    return Answer(instruction, text, extract_code(text))


def run_tests(answer: Answer, tests: list[str]) -> Answer:
    from sandbox import Test, run_program

    result = run_program(answer.code, [Test(code=t) for t in tests], fail_fast=False)
    if not result.module_ok:
        answer.verdicts = [(t, f"{result.status}: the code did not run ({result.etype} {result.msg or ''})".rstrip())
                           for t in tests]
    else:
        answer.verdicts = [(t, r.status if r.status == "pass" else f"{r.status}: {r.etype} {r.msg or ''}".rstrip())
                           for t, r in zip(tests, result.tests)]
    return answer


def show(answer: Answer, out=sys.stdout) -> None:
    print(answer.code or "(no code in the answer)", file=out)
    for test, verdict in answer.verdicts:
        print(f"  {verdict:<6} {test}" if verdict == "pass" else f"  {verdict}\n         {test}", file=out)


def repl(base_url: str, model: str, max_tokens: int) -> int:
    last, tests = None, []
    print("instruction, :test ASSERT, :run, :clear, :quit", file=sys.stderr)
    while True:
        try:
            line = input(">>> ").strip()
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return 0
        if not line:
            continue
        if line in (":quit", ":q"):
            return 0
        if line.startswith(":test "):
            tests.append(line[6:].strip())
        elif line == ":clear":
            tests = []
        elif line == ":run":
            if last is None or not tests:
                print("ask for code and add a :test first", file=sys.stderr)
                continue
            show(run_tests(last, tests))
        elif line.startswith(":"):
            print(f"unknown command {line.split()[0]}", file=sys.stderr)
        else:
            try:
                last = ask(base_url, model, line, max_tokens)
            except ServerError as e:
                print(e, file=sys.stderr)
                continue
            show(last)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m assistant.chat", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--gguf", help="a GGUF file: the chat starts (and stops) llama.cpp's server on it")
    src.add_argument("--url", help="the /v1 base URL of a running OpenAI-compatible server")
    p.add_argument("--model", default="", help="the model name the server knows (with --url)")
    p.add_argument("-i", "--instruction", help="ask once and exit instead of the interactive loop")
    p.add_argument("--test", action="append", default=[], help="an assert to run the answer against (repeatable)")
    p.add_argument("--max-tokens", type=int, default=512)
    a = p.parse_args(argv)
    quiet_libraries()
    server = None
    try:
        if a.gguf:
            server = Server(a.gguf).start()
        base_url, model = (server.base_url, server.model) if server else (a.url, a.model)
        if a.instruction is None:
            return repl(base_url, model, a.max_tokens)
        answer = ask(base_url, model, a.instruction, a.max_tokens)
        if a.test:
            run_tests(answer, a.test)
        show(answer)
        return 0 if not a.test or answer.passed else 1
    except (FileNotFoundError, ServerError, RuntimeError) as e:
        print(f"assistant.chat: {e}", file=sys.stderr)
        return 2
    finally:
        if server:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
