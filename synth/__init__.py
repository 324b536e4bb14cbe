"""synth: the ScaleQuest data-synthesis pipeline as resumable, sharded stages."""
