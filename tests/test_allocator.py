"""Large buffers are mapped on their own, so that what a poll frees goes back to the system."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from exporter.allocator import M_MMAP_THRESHOLD, MMAP_THRESHOLD, glibc_mallopt, return_large_buffers


class Mallopt:
    def __init__(self, answer: int = 1) -> None:
        self.calls: list[tuple[int, int]] = []
        self.answer = answer

    def __call__(self, parameter: int, value: int) -> int:
        self.calls.append((parameter, value))
        return self.answer


def test_the_threshold_is_fixed_at_glibcs_starting_value():
    mallopt = Mallopt()
    assert return_large_buffers(lambda: mallopt, environ={}) is True
    assert mallopt.calls == [(M_MMAP_THRESHOLD, 128 * 1024)]


@pytest.mark.parametrize("environ", [
    {"MALLOC_MMAP_THRESHOLD_": "65536"},
    {"GLIBC_TUNABLES": "glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=65536"},
])
def test_a_threshold_the_user_chose_is_left_alone(environ):
    mallopt = Mallopt()
    assert return_large_buffers(lambda: mallopt, environ=environ) is False
    assert mallopt.calls == []


def test_other_glibc_tunables_do_not_stop_it():
    mallopt = Mallopt()
    assert return_large_buffers(lambda: mallopt, environ={"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"})
    assert mallopt.calls == [(M_MMAP_THRESHOLD, MMAP_THRESHOLD)]


def test_a_refusal_or_another_c_library_is_not_an_error():
    assert return_large_buffers(lambda: Mallopt(answer=0), environ={}) is False
    assert return_large_buffers(lambda: None, environ={}) is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc is Linux's C library")
def test_glibc_is_found_on_linux():
    # CI and the container image run Debian, whose C library is glibc.
    assert glibc_mallopt() is not None


# A fresh interpreter, so that no earlier test has set the threshold. A 1 MiB buffer is mapped on its
# own (above 128 KiB); freeing it makes glibc raise its threshold past 1 MiB, so the next one comes
# from the heap, unless the threshold is fixed. mallinfo2's hblkhd counts the bytes in mapped blocks.
PROBE = textwrap.dedent("""
    import ctypes, sys
    from exporter.allocator import return_large_buffers

    class Info(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost")]

    if sys.argv[1] == "fixed":
        assert return_large_buffers(environ={})
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = Info
    first = bytearray(1 << 20)
    del first
    before = libc.mallinfo2().hblkhd
    second = bytearray(1 << 20)
    print(libc.mallinfo2().hblkhd - before)
""")


@pytest.mark.skipif(glibc_mallopt() is None, reason="the behaviour under test is glibc's")
@pytest.mark.parametrize(("mode", "mapped"), [("fixed", True), ("glibc's default", False)])
def test_a_large_buffer_allocated_after_one_was_freed_is_mapped_only_with_the_fixed_threshold(mode, mapped):
    done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    grew = int(done.stdout)
    assert (grew >= 1 << 20) is mapped, f"mapped bytes grew by {grew} ({mode})"
