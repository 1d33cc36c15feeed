"""The command line: help lists the tools, bad input gets one clear line, the benchmark prints ratios."""
from __future__ import annotations

import subprocess
import sys

from engine.cli import main


def test_help_lists_the_subcommands():
    out = subprocess.run([sys.executable, "-m", "engine", "--help"], capture_output=True, text=True, check=True).stdout
    assert "patterns" in out and "bench" in out


def test_unknown_pattern_is_one_clear_error(capsys):
    try:
        main(["patterns", "--name", "axal"])
    except SystemExit as exit_:
        assert exit_.code == 2
    err = capsys.readouterr().err
    assert "unknown self-attention pattern 'axal'" in err and "Traceback" not in err


def test_bench_cuboid_prints_ratios_against_masked_full_attention(capsys):
    assert main(["bench", "cuboid", "--shape", "4", "8", "8", "16", "--repeats", "1", "--no-memory",
                 "--patterns", "video_swin_2x4", "--global-vectors", "2"]) == 0
    out = capsys.readouterr().out
    assert "masked-full" in out and "cuboid-matmul" in out and "fwd x" in out
