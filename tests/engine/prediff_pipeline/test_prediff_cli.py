"""``python -m engine prediff assemble|info``: the CLI writes the same set as ``assemble_set`` and
refuses bad input with one line (exit 2)."""
from __future__ import annotations

import pytest

from engine.cli import main
from engine.prediff import PreDiffModels
from engine.prediff.statistics import assemble_set

from .tiny import save_tiny_set


@pytest.fixture(scope="module")
def parts_and_root(tmp_path_factory):
    from tests.app.test_storm_explorer import write_tiny_sevir

    base = tmp_path_factory.mktemp("prediff_cli")
    return save_tiny_set(base / "trained"), write_tiny_sevir(base / "sevir")


def _exit_code(args) -> int:
    try:
        return main(args)
    except SystemExit as stop:  # bad input: the parser prints one line and exits 2
        return stop.code


def _assemble_args(parts, root, out, *extra):
    return ["prediff", "assemble", "--out", str(out), "--autoencoder", str(parts / "autoencoder"),
            "--denoiser", str(parts / "denoiser"), "--alignment", str(parts / "alignment"), "--root", str(root),
            *extra]


def test_assemble_writes_the_set_assemble_set_writes(parts_and_root, tmp_path, capsys):
    parts, root = parts_and_root
    code = main(_assemble_args(parts, root, tmp_path / "cli", "--pool", "6", "--guidance-scale", "20",
                               "--description", "from the CLI"))
    assert code == 0 and "wrote the PreDiff set" in capsys.readouterr().out
    by_hand = assemble_set(tmp_path / "api", parts / "autoencoder", parts / "denoiser", parts / "alignment", root,
                           pool=6, description="from the CLI", guidance_scale=20.0)
    assert PreDiffModels.from_directory(tmp_path / "cli").info == by_hand
    assert main(["prediff", "info", str(tmp_path / "cli")]) == 0
    assert "guidance scale 20" in capsys.readouterr().out


def test_the_default_pool_takes_the_data_frames_to_the_autoencoders(parts_and_root, tmp_path):
    parts, root = parts_and_root  # 96-pixel data, 16-pixel autoencoder frames: pool 6
    assert main(_assemble_args(parts, root, tmp_path / "set")) == 0
    assert PreDiffModels.from_directory(tmp_path / "set").info.pool == 6


def test_a_pool_that_misses_the_sets_frame_size_is_refused(parts_and_root, tmp_path, capsys):
    parts, root = parts_and_root
    assert _exit_code(_assemble_args(parts, root, tmp_path / "set", "--pool", "4")) == 2
    assert "expected the set's 16 x 16 (pool 6)" in capsys.readouterr().err


def test_assemble_refuses_to_overwrite_a_set_without_force(parts_and_root, tmp_path, capsys):
    parts, root = parts_and_root
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "notes.txt").write_text("keep me")
    assert _exit_code(_assemble_args(parts, root, tmp_path / "set", "--pool", "6")) == 2
    assert "--force" in capsys.readouterr().err and (tmp_path / "set" / "notes.txt").read_text() == "keep me"
    assert main(_assemble_args(parts, root, tmp_path / "set", "--pool", "6", "--force")) == 0
