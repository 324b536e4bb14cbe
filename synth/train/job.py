"""One training job, described by a JSON spec so the same code runs in-process or under
`accelerate launch -m synth.train.launch job.json`: build trl's trainer, resume from the last complete
trainer checkpoint, train, and save the checkpoint atomically with its training card and loss curve."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from synth.train.settings import CHECKPOINT, TRAINER_DIR, TrainSettings


def last_complete_checkpoint(trainer_dir: Path) -> Path | None:
    """The newest `checkpoint-N` whose trainer state was written (transformers writes it last, so a
    checkpoint killed mid-save is skipped)."""
    found = []
    for d in trainer_dir.glob("checkpoint-*"):
        try:
            step = int(d.name.split("-")[-1])
            json.loads((d / "trainer_state.json").read_text())
        except (ValueError, OSError):
            continue
        found.append((step, d))
    return max(found)[1] if found else None


def _common_args(s: TrainSettings, out: Path, seed: int) -> dict[str, Any]:
    import torch

    use_cpu = s.device == "cpu" or not torch.cuda.is_available()
    return dict(
        output_dir=str(out / TRAINER_DIR), num_train_epochs=s.epochs, learning_rate=s.learning_rate,
        # transformers 5 reads a float below 1 as a share of the total steps
        lr_scheduler_type=s.lr_scheduler, warmup_steps=s.warmup_steps if s.warmup_steps > 0 else s.warmup_ratio,
        per_device_train_batch_size=s.batch_size,
        per_device_eval_batch_size=s.batch_size, gradient_accumulation_steps=s.grad_accum,
        weight_decay=s.weight_decay, optim=s.optim, bf16=s.bf16 and not use_cpu, fp16=False, use_cpu=use_cpu,
        save_strategy="steps", save_steps=s.save_steps, save_total_limit=2, logging_steps=s.logging_steps,
        report_to="none", seed=seed, data_seed=seed, dataloader_num_workers=0, disable_tqdm=True,
        # "tokens seen" on the card: real tokens, not the padding each batch is filled up with
        activation_checkpointing=False, include_num_input_tokens_seen="non_padding", max_length=s.max_length,
    )


def _dataset(path: str) -> Any:
    from datasets import Dataset

    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return Dataset.from_list(rows)


def _tokenizer(spec: dict[str, Any]) -> Any:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(spec["base"])
    if spec.get("chat_template"):
        tok.chat_template = spec["chat_template"]
    return tok


def _trainer(spec: dict[str, Any], s: TrainSettings, out: Path) -> Any:
    """trl's trainer for the job's kind: qft (SFT on text), sft (prompt/completion), dpo (pairs)."""
    tok = _tokenizer(spec)
    train = _dataset(spec["data"])
    common = _common_args(s, out, spec["seed"])
    if spec["kind"] == "dpo":
        from trl.trainer.dpo_config import DPOConfig
        from trl.trainer.dpo_trainer import DPOTrainer

        # The pairs already end with the end-of-turn text: trl appends the tokenizer's eos to text
        # pairs, so the trainer's tokenizer treats end-of-turn as eos (the saved tokenizer is the base's).
        tok.eos_token = spec["eos_token"]
        dcfg = DPOConfig(beta=spec["beta"], loss_type=[spec["loss_type"]], eval_strategy="no", **common)
        return _our_trainer(DPOTrainer)(model=spec["base"], args=dcfg, train_dataset=train,
                                        eval_dataset=_dataset(spec["eval_data"]), processing_class=tok)
    from trl.trainer.sft_config import SFTConfig
    from trl.trainer.sft_trainer import SFTTrainer

    extra: dict[str, Any] = {"packing": s.packing}
    if spec["kind"] == "qft":
        extra.update(dataset_text_field="text", eos_token=spec["eos_token"])
    else:
        extra.update(completion_only_loss=True)
    cfg = SFTConfig(**common, **extra)
    trainer_cls = _our_trainer(SFTTrainer, model_loss=spec["sft_loss"] == "model")
    return trainer_cls(model=spec["base"], args=cfg, train_dataset=train, processing_class=tok)


def _our_trainer(base: Any, model_loss: bool = False) -> Any:
    """trl's trainer class, without the README model card it writes into every trainer checkpoint (the
    card of record is training_card.json); with `model_loss`, the loss is the model's own cross-entropy
    over the labels trl prepared (completion tokens only), as transformers' Trainer computes it: the
    same value without trl's fused-head path (`sft_loss: model`)."""
    from transformers import Trainer

    class OurTrainer(base):  # type: ignore[misc, valid-type]
        def create_model_card(self, *args: Any, **kwargs: Any) -> None:
            return None

        if model_loss:
            def compute_loss(self, model: Any, inputs: Any, return_outputs: bool = False,
                             num_items_in_batch: Any = None) -> Any:
                return Trainer.compute_loss(self, model, inputs, return_outputs, num_items_in_batch)

    return OurTrainer


def _generation_config(tok: Any, eot: str) -> Any:
    """Stop ids only: no sampling fields, so no consumer (vLLM, transformers) silently changes decoding."""
    from transformers import GenerationConfig

    stops = [tok.eos_token_id]
    eot_id = tok.convert_tokens_to_ids(eot) if eot else None
    if isinstance(eot_id, int) and eot_id != tok.unk_token_id and eot_id not in stops:
        stops.append(eot_id)
    return GenerationConfig(eos_token_id=stops, pad_token_id=tok.pad_token_id,  # type: ignore[no-untyped-call]
                            bos_token_id=tok.bos_token_id)


def _finish_checkpoint(tmp: Path, spec: dict[str, Any], out: Path) -> None:
    """Complete the saved weights with tokenizer and generation config, then rename the folder into
    place: a half-written checkpoint never has the final name."""
    final = out / CHECKPOINT
    tok = _tokenizer(spec)  # the base's tokenizer (with the recipe's chat template), not the trainer's copy
    tok.save_pretrained(str(tmp))
    _generation_config(tok, spec.get("eos_token") or "").save_pretrained(str(tmp))
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)


def _quiet(trainer: Any) -> None:
    """No progress bars or per-step dict prints: the card and loss curve hold the log."""
    import datasets
    from transformers import PrinterCallback
    from transformers.utils import logging

    datasets.disable_progress_bars()
    logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    trainer.remove_callback(PrinterCallback)


def run_job(spec: dict[str, Any]) -> dict[str, Any]:
    """Train (resuming when a complete trainer checkpoint exists), save, write the card on rank 0."""
    import datasets

    from synth.train.card import eval_metrics, write_card

    datasets.disable_progress_bars()
    s = TrainSettings(**spec["settings"])
    out = Path(spec["out"])
    start = time.monotonic()
    trainer = _trainer(spec, s, out)
    _quiet(trainer)
    resume = last_complete_checkpoint(out / TRAINER_DIR)
    before = eval_metrics(trainer) if spec["kind"] == "dpo" and resume is None else None
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    after = eval_metrics(trainer) if spec["kind"] == "dpo" else None
    tmp = out / ".checkpoint.tmp"
    if trainer.is_world_process_zero():
        shutil.rmtree(tmp, ignore_errors=True)
    trainer.save_model(str(tmp))  # every rank: ZeRO-3 gathers the sharded weights here
    if not trainer.is_world_process_zero():
        return {}
    _finish_checkpoint(tmp, spec, out)
    return write_card(spec, s, trainer, out, wall=time.monotonic() - start, resumed=resume,
                      evals={"before": before, "after": after} if after is not None else None)
