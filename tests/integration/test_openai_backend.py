"""The OpenAI-compatible backend against a real `transformers serve`, and against stub servers
that fail on purpose (rate limits, server errors, a closed port)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from harness.backends import load_backend
from harness.backends.hf import HFBackend
from harness.backends.openai_compat import OpenAIBackend
from harness.config import BackendConfig, SamplingConfig
from harness.errors import BackendError
from harness.types import ChatMessage, Completion, Prompt

GREEDY = SamplingConfig(max_tokens=24)
ServedModel = Any  # the `served_tiny` fixture's (base_url, model) tuple, from tests/integration/conftest.py


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chat(text: str, **kw: Any) -> Prompt:
    return Prompt(messages=(ChatMessage("user", text),), **kw)


PROMPTS = [
    chat("What is 3 + 4?"),
    Prompt(messages=(ChatMessage("system", "Be brief."), ChatMessage("user", "Find 2 - 9."))),
    chat("Compute 5 * 6.", stop=(" The answer",)),
    Prompt(text="Question: Compute 12 * 3.\nAnswer:"),
    Prompt(text="def add(a, b):\n", stop=("\n",)),
    Prompt(text="the"),
]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def hf(tiny_checkpoint: Path) -> HFBackend:
    return HFBackend(BackendConfig(kind="hf", model=str(tiny_checkpoint), device="cpu", batch_size=4))


def _openai(served: ServedModel, **kw: Any) -> OpenAIBackend:
    config = BackendConfig(kind="openai", model=served.model, base_url=served.base_url, **kw)
    backend = load_backend(config)
    assert isinstance(backend, OpenAIBackend)
    return backend


@pytest.mark.parametrize("endpoint", ["chat", "completions"])
def test_greedy_outputs_agree_with_hf(
    hf: HFBackend, served_tiny: ServedModel, endpoint: str
) -> None:
    expected = hf.generate(PROMPTS, GREEDY)
    got = _openai(served_tiny, endpoint=endpoint, concurrency=3).generate(PROMPTS, GREEDY)
    assert got == expected  # text, finish reason and both token counts
    assert {c[0].finish_reason for c in got} == {"stop", "length"}


def test_assistant_prefix_through_completions_endpoint_agrees(hf: HFBackend, served_tiny: ServedModel) -> None:
    prompts = [chat("What is 3 + 4?", assistant_prefix="3 + "), chat("Find 8 - 1.", assistant_prefix="8")]
    backend = _openai(served_tiny, endpoint="completions")
    assert backend.render(prompts[0]) == hf.render(prompts[0])
    assert backend.generate(prompts, GREEDY) == hf.generate(prompts, GREEDY)


def test_assistant_prefix_on_a_chat_endpoint_without_support_is_explained(served_tiny: ServedModel) -> None:
    with pytest.raises(BackendError, match="use endpoint 'completions'"):
        _openai(served_tiny, endpoint="chat").generate([chat("Hi", assistant_prefix="```python\n")], GREEDY)


def test_n_samples_by_repeated_seeded_requests(served_tiny: ServedModel) -> None:
    sampling = SamplingConfig(n=3, temperature=1.0, max_tokens=10, seed=3)
    backend = _openai(served_tiny, endpoint="chat", concurrency=1)
    first = backend.generate([PROMPTS[0]], sampling)[0]
    assert len(first) == 3 and len({c.text for c in first}) > 1  # the server ignores n; we top up
    assert backend.generate([PROMPTS[0]], sampling)[0] == first  # each request carries its own seed


def test_wrong_model_id_is_one_line_without_retries(served_tiny: ServedModel) -> None:
    backend = OpenAIBackend(BackendConfig(kind="openai", model="/no/such/model", base_url=served_tiny.base_url))
    start = time.monotonic()
    with pytest.raises(BackendError, match="HTTP 4") as info:
        backend.generate([PROMPTS[3]], GREEDY)
    assert "\n" not in str(info.value) and time.monotonic() - start < 5


# -- stub servers --------------------------------------------------------------------------------

Reply = tuple[int, dict[str, Any]]


class _Stub:
    """A local HTTP server answering each POST with `script(request_number, body)`."""

    def __init__(self, script: Callable[[int, dict[str, Any]], Reply], delay_s: float = 0.0) -> None:
        self.script, self.delay_s = script, delay_s
        self.bodies: list[dict[str, Any]] = []
        self.in_flight = self.max_in_flight = 0
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with stub.lock:
                    stub.bodies.append(body)
                    number = len(stub.bodies)
                    stub.in_flight += 1
                    stub.max_in_flight = max(stub.max_in_flight, stub.in_flight)
                time.sleep(stub.delay_s)
                status, payload = stub.script(number, body)
                with stub.lock:
                    stub.in_flight -= 1
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub_factory() -> Iterator[Callable[..., _Stub]]:
    stubs: list[_Stub] = []

    def make(script: Callable[[int, dict[str, Any]], Reply], delay_s: float = 0.0) -> _Stub:
        stubs.append(_Stub(script, delay_s))
        return stubs[-1]

    yield make
    for stub in stubs:
        stub.close()


def _ok(text: str) -> Reply:
    usage = {"prompt_tokens": 2, "completion_tokens": 3}
    return 200, {"choices": [{"index": 0, "text": text, "finish_reason": "length"}], "usage": usage}


def _backend(url: str, **kw: Any) -> OpenAIBackend:
    config = BackendConfig(kind="openai", model="m", base_url=url, endpoint="completions", **kw)
    return OpenAIBackend(config, backoff_s=0.01, max_backoff_s=0.05)


def test_retries_429_and_5xx_then_succeeds(stub_factory: Callable[..., _Stub]) -> None:
    replies = {1: (429, {"error": "slow down"}), 2: (500, {"error": "boom"}), 3: (503, {"error": "busy"})}
    stub = stub_factory(lambda i, body: replies.get(i) or _ok("fine"))
    out = _backend(stub.url, max_retries=3).generate([Prompt(text="q")], GREEDY)
    assert out == [[Completion("fine", "length", 2, 3)]] and len(stub.bodies) == 4


def test_gives_up_after_max_retries_naming_the_url(stub_factory: Callable[..., _Stub]) -> None:
    stub = stub_factory(lambda i, body: (502, {"error": "bad gateway"}))
    with pytest.raises(BackendError, match=r"127\.0\.0\.1.*HTTP 502.*after 3 attempts"):
        _backend(stub.url, max_retries=2).generate([Prompt(text="q")], GREEDY)
    assert len(stub.bodies) == 3


def test_client_errors_are_not_retried(stub_factory: Callable[..., _Stub]) -> None:
    stub = stub_factory(lambda i, body: (400, {"error": "prompt must be a string."}))
    with pytest.raises(BackendError, match=r"HTTP 400.*prompt must be a string"):
        _backend(stub.url, max_retries=5).generate([Prompt(text="q")], GREEDY)
    assert len(stub.bodies) == 1


def test_unreachable_server_names_its_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(BackendError, match=f"cannot get a completion from {url}/completions: server unreachable"):
        _backend(url, max_retries=2).generate([Prompt(text="q")], GREEDY)


def test_concurrency_is_bounded_and_used(stub_factory: Callable[..., _Stub]) -> None:
    stub = stub_factory(lambda i, body: _ok(body["prompt"].upper()), delay_s=0.1)
    prompts = [Prompt(text=f"p{i}") for i in range(8)]
    out = _backend(stub.url, concurrency=3).generate(prompts, GREEDY)
    assert [c[0].text for c in out] == [f"P{i}" for i in range(8)]  # input order kept
    assert 2 <= stub.max_in_flight <= 3


def test_request_carries_explicit_sampling_and_stops(stub_factory: Callable[..., _Stub]) -> None:
    stub = stub_factory(lambda i, body: _ok("x\nassert y"))
    sampling = SamplingConfig(n=2, temperature=0.5, top_p=0.9, max_tokens=7, seed=4, stop=("\nassert",))
    out = _backend(stub.url, concurrency=1).generate([Prompt(text="q", stop=("[DONE]",))], sampling)
    first = stub.bodies[0]
    assert (first["temperature"], first["top_p"], first["max_tokens"], first["n"]) == (0.5, 0.9, 7, 2)
    assert first["stop"] == ["[DONE]", "\nassert"]
    # One choice came back, so a second request asked for the remaining sample with another seed.
    assert len(stub.bodies) == 2 and "n" not in stub.bodies[1] and stub.bodies[1]["seed"] != first["seed"]
    assert [c.text for c in out[0]] == ["x", "x"] and {c.finish_reason for c in out[0]} == {"stop"}
