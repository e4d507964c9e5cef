"""Where tensors live and how many threads small work uses."""
import torch

import bnexplained as bnx
from bnexplained.device import single_thread


def test_single_thread_as_decorator_and_context_restores_the_thread_count():
    before = torch.get_num_threads()

    @single_thread
    def inside():
        return torch.get_num_threads()

    assert inside() == 1
    with single_thread():
        assert torch.get_num_threads() == 1
    with single_thread(enabled=False):
        assert torch.get_num_threads() == before
    assert torch.get_num_threads() == before


def test_device_is_cuda_exactly_when_available():
    assert bnx.device().type == ("cuda" if torch.cuda.is_available() else "cpu")
