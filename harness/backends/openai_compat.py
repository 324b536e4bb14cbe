"""Any OpenAI-compatible server (`vllm serve`, SGLang, TGI, `transformers serve`), over plain HTTP.

Text prompts go to `/completions`. Chat prompts go to `/chat/completions` when
`BackendConfig.endpoint == "chat"` (the server applies its chat template; an assistant prefix is
sent as a final assistant message with vLLM's `continue_final_message`), or, with
`endpoint == "completions"`, are rendered here with the local checkpoint's chat template
(`BackendConfig.model` must then be the checkpoint directory the server was started from).

Requests run on at most `concurrency` threads and are retried with exponential backoff and jitter
on 429, 5xx, connection errors and timeouts. When a server returns fewer choices than asked (many
ignore `n`), the rest are requested again, each request with its own seed derived from the run
seed, the prompt and the index of its first sample. Greedy decoding makes one request and repeats
it n times. Per-choice token counts are only known when a response holds a single choice; with
several, `completion_tokens` is 0 (unknown).
"""

from __future__ import annotations

import json
import os
import random
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from harness.backends.common import cut_at_stop, is_greedy, memo_render, render_with_template, sample_seed, stop_strings
from harness.config import BackendConfig, SamplingConfig
from harness.errors import BackendError
from harness.types import Completion, Prompt

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class _Retryable(Exception):
    """A failure worth another attempt (rate limit, server error, connection error, timeout)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class OpenAIBackend:
    """Completions from an OpenAI-compatible HTTP server (see the module docstring)."""

    def __init__(self, config: BackendConfig, *, backoff_s: float = 0.5, max_backoff_s: float = 30.0) -> None:
        if not config.base_url:
            raise BackendError("the openai backend needs a server URL: pass --base-url http://HOST:PORT/v1")
        if not config.model:
            raise BackendError("the openai backend needs the served model id: pass it as the model")
        self.config = config
        self.base_url = config.base_url.rstrip("/")
        self.api_key = os.environ.get(config.api_key_env, "") if config.api_key_env else ""
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._rng = random.Random()
        self._tokenizer: Any = None

    # -- protocol ------------------------------------------------------------------------------

    def supports_chat(self) -> bool:
        """Chat endpoint: the server templates. Completions endpoint: needs a local chat template."""
        if self.config.endpoint == "chat":
            return True
        tok = self._local_tokenizer(required=False)
        return bool(tok is not None and getattr(tok, "chat_template", None))

    def render(self, prompt: Prompt) -> str:
        """What is sent: the text for /completions, or a canonical JSON of the chat request."""
        return memo_render(self, prompt, self._render)

    def _render(self, prompt: Prompt) -> str:
        if prompt.messages is None:
            return (prompt.text or "") + prompt.assistant_prefix
        if self.config.endpoint == "completions":
            return render_with_template(self._local_tokenizer(required=True), prompt, self.config.model)
        request = {"messages": _messages(prompt), "continue_final_message": bool(prompt.assistant_prefix)}
        return json.dumps(request, ensure_ascii=False, sort_keys=True)

    def count_tokens(self, text: str) -> int | None:
        """Token count under the local checkpoint's tokenizer when there is one, else None."""
        tok = self._local_tokenizer(required=False)
        return None if tok is None else len(tok(text, add_special_tokens=False)["input_ids"])

    def info(self) -> dict[str, Any]:
        """Server URL, endpoint and request policy, for the manifest."""
        return {
            "backend": "openai",
            "base_url": self.base_url,
            "model": self.config.model,
            "endpoint": self.config.endpoint,
            "concurrency": self.config.concurrency,
            "max_retries": self.config.max_retries,
            "request_timeout_s": self.config.request_timeout_s,
        }

    def close(self) -> None:
        """Nothing is held between calls (threads live only inside `generate`)."""
        self._tokenizer = None

    def generate(self, prompts: Sequence[Prompt], sampling: SamplingConfig) -> list[list[Completion]]:
        """`sampling.n` completions per prompt, in input order, `concurrency` requests at a time."""
        if not prompts:
            return []
        workers = max(1, min(self.config.concurrency, len(prompts)))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="openai-backend")
        try:
            results = list(pool.map(lambda p: self._samples(p, sampling), prompts))
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return results

    # -- requests ------------------------------------------------------------------------------

    def _samples(self, prompt: Prompt, sampling: SamplingConfig) -> list[Completion]:
        """All samples of one prompt, topping up when the server returns fewer choices than asked."""
        want = 1 if is_greedy(sampling) else sampling.n
        rendered = self.render(prompt)
        got: list[Completion] = []
        while len(got) < want:
            seed = sample_seed(sampling.seed, rendered, len(got)) & 0x7FFFFFFF
            path, body = self._request(prompt, rendered, sampling, want - len(got), seed)
            reply = self._post(path, body)
            choices = sorted(reply.get("choices") or [], key=lambda c: int(c.get("index", 0)))
            if not choices:
                raise BackendError(f"{self.base_url}{path} returned no choices")
            got.extend(_completion(c, reply.get("usage") or {}, len(choices), stop_strings(prompt, sampling))
                       for c in choices[: want - len(got)])
        return got * sampling.n if is_greedy(sampling) else got

    def _request(
        self, prompt: Prompt, rendered: str, sampling: SamplingConfig, n: int, seed: int
    ) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {
            "model": self.config.model,
            "max_tokens": sampling.max_tokens,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "seed": seed,
        }
        if n > 1:
            body["n"] = n
        stops = stop_strings(prompt, sampling)
        if stops:
            body["stop"] = list(stops)
        if prompt.messages is None or self.config.endpoint == "completions":
            return "/completions", {**body, "prompt": rendered}
        body["messages"] = _messages(prompt)
        if prompt.assistant_prefix:
            body.update(continue_final_message=True, add_generation_prompt=False)
        return "/chat/completions", body

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST with retries; a BackendError naming the URL once retries are spent."""
        url = self.base_url + path
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        for attempt in range(self.config.max_retries + 1):
            try:
                return self._post_once(url, data, headers)
            except _Retryable as exc:
                if attempt == self.config.max_retries:
                    raise BackendError(
                        f"cannot get a completion from {url}: {exc} (after {attempt + 1} attempts)"
                    ) from exc
                time.sleep(self._delay(attempt, exc.retry_after))
        raise AssertionError("unreachable")

    def _post_once(self, url: str, data: bytes, headers: dict[str, str]) -> dict[str, Any]:
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.config.request_timeout_s) as response:
                return dict(json.loads(response.read()))
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace").strip().replace("\n", " ")[:300]
            if exc.code in RETRY_STATUS:
                raise _Retryable(f"HTTP {exc.code} {detail}", _retry_after(exc.headers)) from exc
            hint = ""
            if b"continue_final_message" in data and exc.code in (400, 422):
                hint = " (this server cannot continue an assistant prefix on the chat endpoint: use endpoint "
                hint += "'completions' with the checkpoint directory as the model)"
            raise BackendError(f"{url} answered HTTP {exc.code}: {detail}{hint}") from exc
        except urllib.error.URLError as exc:
            raise _Retryable(f"server unreachable ({exc.reason})") from exc
        except (TimeoutError, ConnectionError) as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
        except json.JSONDecodeError as exc:
            raise BackendError(f"{url} returned a body that is not JSON") from exc

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with full jitter, or the server's Retry-After when it gives one."""
        if retry_after is not None:
            return min(retry_after, self.max_backoff_s)
        cap = min(self.max_backoff_s, self.backoff_s * 2.0**attempt)
        return float(cap * (0.5 + 0.5 * self._rng.random()))

    def _local_tokenizer(self, *, required: bool) -> Any:
        """The served checkpoint's tokenizer, when `model` is a local directory (loaded once)."""
        if self._tokenizer is None:
            path = Path(self.config.model).expanduser()
            if not (path / "tokenizer_config.json").is_file():
                if required:
                    raise BackendError(
                        f"endpoint 'completions' with chat prompts needs the checkpoint directory as the "
                        f"model to render its chat template; {self.config.model!r} is not one (use endpoint 'chat')"
                    )
                return None
            from transformers import AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(path)
        return self._tokenizer


def _messages(prompt: Prompt) -> list[dict[str, str]]:
    messages = [{"role": m.role, "content": m.content} for m in prompt.messages or ()]
    if prompt.assistant_prefix:
        messages.append({"role": "assistant", "content": prompt.assistant_prefix})
    return messages


def _completion(choice: dict[str, Any], usage: dict[str, Any], n_choices: int, stops: Sequence[str]) -> Completion:
    """One choice as a Completion, cut at the stop strings (servers differ on whether they keep them)."""
    message = choice.get("message")
    raw = (message or {}).get("content") if message is not None else choice.get("text")
    text, hit = cut_at_stop(raw or "", stops)
    finish = "stop" if hit else str(choice.get("finish_reason") or "unknown")
    completion_tokens = int(usage.get("completion_tokens") or 0) if n_choices == 1 else 0
    return Completion(text, finish, int(usage.get("prompt_tokens") or 0), completion_tokens)


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
