"""harness: trustworthy math and code evaluation of language-model checkpoints.

Importing this package imports neither torch nor vllm; backends load lazily.
"""

__version__ = "0.1.0"
