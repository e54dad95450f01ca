"""python -m assistant.serve --gguf FILE [--port 8000]

Serve a GGUF with llama-cpp-python's OpenAI-compatible server (`python -m llama_cpp.server`) on 127.0.0.1, wait
until it answers, print how to grade it, and stop it cleanly on Ctrl-C or SIGTERM. Grade it (or any
OpenAI-compatible endpoint: Ollama's http://127.0.0.1:11434/v1, a vLLM server) with lm-eval's `local-completions`:

  lm_eval run --model local-completions \\
      --model_args base_url=http://127.0.0.1:8000/v1/completions,model=MODEL,tokenized_requests=False,tokenizer_backend=None,num_concurrent=1 \\
      --include_path lm_eval_tasks --tasks mbpp_custom_alpaca --log_samples --output_path outputs/eval/gguf

`tokenized_requests=False,tokenizer_backend=None` sends text, so no tokenizer is needed on the client;
llama.cpp's server answers one request at a time, so more concurrency only queues.

Chat clients: /v1/chat/completions takes the instruction alone as the user message; the chat template that
assistant.export writes into the GGUF (`tokenizer.chat_template`) turns it into the Alpaca prompt the adapter
was trained on (the server log says "Using gguf chat template"). A GGUF without one gets llama-cpp-python's
fallback llama-2 format, off the trained prompt: use /v1/completions with the Alpaca prompt for it. Stop strings
are the client's to send (`"stop": ["### Instruction"]`); the model usually ends with <eos> itself.
`python -m assistant.grade --chat` grades this endpoint with lm-eval's local-chat-completions."""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from common.quiet import quiet_libraries
from evaluation.lm_eval_command import lm_eval_command, shell

from . import llama_cpp_tools


class ServerError(RuntimeError):
    pass


def _die_with_parent() -> None:
    """In the server's process before exec: SIGTERM when the process that started it dies, however it dies."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`with Server(gguf) as s:` starts llama_cpp.server, waits for /v1/models, and stops the whole process group
    on exit; the server also gets SIGTERM if the thread that started it dies. Its log (llama.cpp's own timings
    included) goes to `log`."""

    def __init__(self, gguf: str | Path, port: int | None = None, threads: int | None = None, n_ctx: int = 2048,
                 log: str | Path | None = None, startup_timeout: float = 180.0):
        self.gguf = Path(gguf)
        if not self.gguf.is_file():
            raise FileNotFoundError(f"{self.gguf}: no such GGUF file")
        llama_cpp_tools.llama_cpp()
        self.port = port or free_port()
        self.threads = threads or os.cpu_count() or 1
        self.n_ctx = n_ctx
        self.log = Path(log) if log else self.gguf.with_suffix(".server.log")
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def model(self) -> str:
        """The name the server answers to: OUT-QUANT for assistant.export's OUT/model-QUANT.gguf."""
        stem = self.gguf.stem
        return f"{self.gguf.parent.name}-{stem.removeprefix('model-')}" if stem.startswith("model-") else stem

    def command(self) -> list[str]:
        # logits_all off: llama-cpp-python's default keeps every prompt position's logits (262k floats each for Gemma)
        return [sys.executable, "-m", "llama_cpp.server", "--model", str(self.gguf), "--model_alias", self.model,
                "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(self.n_ctx),
                "--n_threads", str(self.threads), "--n_threads_batch", str(self.threads), "--logits_all", "False",
                "--seed", "0"]

    def start(self) -> "Server":
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", self.port)) == 0:
                raise ServerError(f"port {self.port} on 127.0.0.1 is already in use")
        self.log.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log, "w")
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True, preexec_fn=_die_with_parent)
        log.close()
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.proc.poll() is not None:
                raise ServerError(f"llama_cpp.server on {self.gguf} exited with code {self.proc.returncode} before "
                                  f"it answered (log {self.log}):\n{self.log.read_text()[-1500:]}")
            if self.healthy():
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise ServerError(f"llama_cpp.server on {self.gguf} did not answer {self.base_url}/models within "
                                  f"{self.startup_timeout:.0f} s (log {self.log})")
            time.sleep(0.2)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as r:
                return r.status == 200 and any(m.get("id") == self.model for m in json.load(r).get("data", []))
        except (OSError, ValueError):
            return False

    def peak_rss_bytes(self) -> int | None:
        """The server's peak resident memory so far (VmHWM)."""
        try:
            text = Path(f"/proc/{self.proc.pid}/status").read_text()
        except (OSError, AttributeError):
            return None
        m = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
        return int(m.group(1)) * 1024 if m else None

    def stop(self) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait()

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def complete(self, prompt: str, max_tokens: int = 512, stop=(), temperature: float = 0.0) -> dict:
        return complete(self.base_url, self.model, prompt, max_tokens, stop, temperature)


def _post(base_url: str, path: str, payload: dict) -> dict:
    """One JSON request to an OpenAI-compatible server; its JSON answer, or ServerError naming the URL."""
    url = f"{base_url.rstrip('/')}/{path}"
    req = urllib.request.Request(url, json.dumps(payload).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            return json.load(r)
    except (urllib.error.URLError, ValueError) as e:
        raise ServerError(f"{url}: {e}") from None


def complete(base_url: str, model: str, prompt: str, max_tokens: int = 512, stop=(), temperature: float = 0.0) -> dict:
    """One OpenAI-style /completions request (seed 0) to any compatible server; its JSON answer."""
    return _post(base_url, "completions", {"model": model, "prompt": prompt, "max_tokens": max_tokens,
                                           "stop": list(stop), "temperature": temperature, "seed": 0})


def chat(base_url: str, model: str, messages: list[dict], max_tokens: int = 512, stop=(), temperature: float = 0.0) -> dict:
    """One OpenAI-style /chat/completions request (seed 0): the server renders the messages with the GGUF's chat
    template (for an `assistant.export` GGUF, the Alpaca prompt)."""
    return _post(base_url, "chat/completions", {"model": model, "messages": messages, "max_tokens": max_tokens,
                                                "stop": list(stop), "temperature": temperature, "seed": 0})


_TIMING = re.compile(r"^\s*llama_perf_context_print:\s+(prompt eval|eval) time =\s+([\d.]+) ms /\s+(\d+) (?:tokens|runs)",
                     re.M)


def timings(log: str | Path) -> dict:
    """Token counts and seconds llama.cpp itself reported per request in a server log, summed."""
    sums = {"prompt eval": [0, 0.0], "eval": [0, 0.0]}
    for kind, ms, n in _TIMING.findall(Path(log).read_text(errors="replace")):
        sums[kind][0] += int(n)
        sums[kind][1] += float(ms) / 1000
    (pt, ps), (gt, gs) = sums["prompt eval"], sums["eval"]
    return {"prompt_tokens": pt, "prompt_seconds": ps, "generated_tokens": gt, "generation_seconds": gs,
            "generation_tokens_per_s": gt / gs if gs else None, "prompt_tokens_per_s": pt / ps if ps else None}


def grade_command(base_url: str, model: str) -> list[str]:
    """How to grade a server at `base_url` with lm-eval (the command in this module's docstring)."""
    args = f"base_url={base_url}/completions,model={model},tokenized_requests=False,tokenizer_backend=None,num_concurrent=1"
    return lm_eval_command(args, "mbpp_custom_alpaca", "outputs/eval/gguf", model="local-completions")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m assistant.serve", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gguf", required=True, help="the GGUF file to serve (assistant.export writes them)")
    p.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000)")
    p.add_argument("--threads", type=int, help="CPU threads (default: all cores)")
    p.add_argument("--n-ctx", type=int, default=2048, help="context length in tokens (default 2048)")
    p.add_argument("--log", help="server log (default: next to the GGUF, .server.log)")
    a = p.parse_args(argv)
    quiet_libraries()
    try:
        server = Server(a.gguf, a.port, a.threads, a.n_ctx, a.log).start()
    except (FileNotFoundError, ServerError, RuntimeError) as e:
        print(f"assistant.serve: {e}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"serving {a.gguf} at {server.base_url} (model {server.model!r}; log {server.log}); Ctrl-C stops it\n"
          f"grade it: {shell(grade_command(server.base_url, server.model))}\nchat: curl {server.base_url}/chat/completions -H 'Content-Type: application/json' "
          f"-d '{{\"messages\": [{{\"role\": \"user\", \"content\": \"Write a function add(a, b).\"}}]}}'", flush=True)
    try:
        while server.proc.poll() is None:
            time.sleep(0.5)
        print(f"assistant.serve: the server exited with code {server.proc.returncode} (log {server.log})",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
