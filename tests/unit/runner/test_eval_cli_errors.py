"""Bad input to `harness eval`: one line on stderr, exit code 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main


@pytest.fixture
def fake_ckpt(tmp_path: Path) -> Path:
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / "config.json").write_text("{}")
    return ckpt


CASES = [
    (["--benchmarks", "gsm8k", "--suite", "math"], "--benchmarks and --suite conflict"),
    (["--n", "0"], "--n must be at least 1, got 0"),
    (["--limit", "-3"], "--limit must be at least 1"),
    (["--top-p", "1.5"], "--top-p must be in (0, 1]"),
    (["--tag", "novalue"], "is not KEY=VALUE"),
    (["--base-url", "http://127.0.0.1:1/v1"], "--base-url and --endpoint only apply to --backend openai"),
    (["--benchmarks", "gsm8kk"], "unknown benchmark 'gsm8kk'; did you mean 'gsm8k'?"),
    (["--suite", "mathh"], "unknown suite 'mathh'; did you mean 'math'?"),
    (["--preset", "scalequestt"], "scalequestt"),
]


@pytest.mark.parametrize(("flags", "message"), CASES)
def test_bad_flags(fake_ckpt: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str],
                   message: str) -> None:
    rc = main(["eval", str(fake_ckpt), "--out", str(tmp_path / "out"), *flags])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith("harness: error:")
    assert message in err[0]
    assert not (tmp_path / "out").exists()


def test_missing_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"checkpoint not found: {tmp_path / 'nope'}" in err[0]


def test_directory_that_is_not_a_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not a model checkpoint: no config.json" in err[0]


def test_unreachable_server(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = "http://127.0.0.1:9/v1"  # the discard port: nothing listens there
    rc = main(["eval", "served-model", "--backend", "openai", "--base-url", url, "--benchmarks", "gsm8k",
               "--limit", "1", "--data-dir", str(data_dir), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1
    assert f"cannot reach the server at {url}" in err[0]
    assert not (tmp_path / "out").exists()
