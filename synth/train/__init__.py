"""Thin wrappers over trl's trainers (`SFTTrainer`, `DPOTrainer`): one training job from a JSON spec,
resumable, written atomically, described by a training card. No training loop of our own."""
