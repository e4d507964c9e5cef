"""``make gpu-check`` (tests/gpu_check.py) refuses clearly without CUDA, and its steps run on the CPU rehearsal."""
import torch

import gpu_check


def test_without_cuda_it_stops_with_a_message_and_status_2(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu_check.main([]) == 2
    err = capsys.readouterr().err
    assert "needs a CUDA GPU" in err and "GPU_CHECK_ON_CPU=1" in err


def test_the_cpu_rehearsal_runs_every_paper_scale_step(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("BNX_CACHE", str(tmp_path / "mine"))
    assert gpu_check.main(["--cpu", "--unit", "none"]) == 0
    out = capsys.readouterr().out
    steps = [line for line in out.splitlines() if line.startswith("ok ")]
    assert len(steps) == 7 and all("paper scale" in s or "ResNet9" in s for s in steps[1:]), out
    assert steps[0].split()[1:3] == ["Exact", "partition"] and "regions" in steps[0], out
    assert "gpu-check passed on cpu" in out
    assert not (tmp_path / "mine").exists()            # its results went to a temporary cache, not the user's
