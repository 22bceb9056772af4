"""What bounds a worker process, on every platform: it ends with its parent, and its memory is limited
(an address-space limit on POSIX, a Job object on Windows). The extraction workers and the render process
use these."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


def watch_parent() -> None:
    """Exit when the parent process is gone (e.g. killed), so no worker is left behind."""
    import multiprocessing
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    ppid = os.getppid()

    def run() -> None:
        while True:
            if parent is not None and parent.sentinel is not None:
                try:
                    if wait([parent.sentinel], timeout=1.0):
                        os._exit(0)
                except (OSError, ValueError):
                    time.sleep(1.0)
            else:
                time.sleep(1.0)
            if os.name == "posix" and os.getppid() != ppid:
                os._exit(0)

    threading.Thread(target=run, name="imrdesk-parent-watch", daemon=True).start()


def limit_memory(memory_limit_mb: int | None) -> bool:
    """Cap this process's memory at ``memory_limit_mb``: an allocation past it fails (MemoryError in
    Python, an abort in a library) instead of the machine swapping. True when a limit is in force."""
    if not memory_limit_mb:
        return False
    limit = int(memory_limit_mb) * 1024 * 1024
    if sys.platform == "win32":
        return _limit_memory_windows(limit)
    try:
        import resource
    except ImportError:
        return False
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        return True
    except (ValueError, OSError):
        return False


@contextmanager
def memory_headroom(extra_mb: int) -> Iterator[None]:
    """For the block, this process may grow by ``extra_mb`` at most (POSIX: the address-space limit lowered to
    what it uses now plus that, then put back). The fast PDF reader runs under it: pdfium inflates streams
    without a cap, so a deflate bomb would take gigabytes before the reference reader's budget refuses it;
    with the headroom its allocation fails and the reference reader says ``too_large``. A no-op where the
    limit cannot be read or set (Windows: the worker's Job object still bounds it)."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        with open("/proc/self/statm", encoding="ascii") as f:
            used = int(f.read().split()[0]) * resource.getpagesize()
    except (ImportError, OSError, ValueError):
        yield
        return
    tight = used + int(extra_mb) * 1024 * 1024
    for bound in (soft, hard):
        if bound != resource.RLIM_INFINITY:
            tight = min(tight, bound)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (tight, hard))
    except (ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


_JOB_HANDLE = None  # kept open for the life of the process (the job's limits hold while it exists)


def _limit_memory_windows(limit: int) -> bool:
    """Put this process in a new Windows Job object with a per-process committed-memory limit.

    Windows has no RLIMIT_AS; a Job object's JOB_OBJECT_LIMIT_PROCESS_MEMORY makes every allocation past
    the limit fail. A process may put itself in a job (nested jobs: Windows 8 and later). Any failure
    leaves the process without a limit (the wall-clock limit still applies) and returns False."""
    import ctypes
    from ctypes import wintypes

    class IoCounters(ctypes.Structure):
        _fields_ = [
            (name, ctypes.c_ulonglong)
            for name in (
                "ReadOperationCount",
                "WriteOperationCount",
                "OtherOperationCount",
                "ReadTransferCount",
                "WriteTransferCount",
                "OtherTransferCount",
            )
        ]

    class BasicLimits(ctypes.Structure):  # JOBOBJECT_BASIC_LIMIT_INFORMATION
        _fields_ = [
            ("PerProcessUserTimeLimit", ctypes.c_int64),  # LARGE_INTEGER
            ("PerJobUserTimeLimit", ctypes.c_int64),
            ("LimitFlags", wintypes.DWORD),
            ("MinimumWorkingSetSize", ctypes.c_size_t),
            ("MaximumWorkingSetSize", ctypes.c_size_t),
            ("ActiveProcessLimit", wintypes.DWORD),
            ("Affinity", ctypes.c_size_t),  # ULONG_PTR
            ("PriorityClass", wintypes.DWORD),
            ("SchedulingClass", wintypes.DWORD),
        ]

    class ExtendedLimits(ctypes.Structure):  # JOBOBJECT_EXTENDED_LIMIT_INFORMATION
        _fields_ = [
            ("BasicLimitInformation", BasicLimits),
            ("IoInfo", IoCounters),
            ("ProcessMemoryLimit", ctypes.c_size_t),
            ("JobMemoryLimit", ctypes.c_size_t),
            ("PeakProcessMemoryUsed", ctypes.c_size_t),
            ("PeakJobMemoryUsed", ctypes.c_size_t),
        ]

    job_object_extended_limit_information = 9
    job_object_limit_process_memory = 0x00000100
    global _JOB_HANDLE
    try:
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        kernel32.CreateJobObjectW.argtypes = [ctypes.c_void_p, wintypes.LPCWSTR]
        kernel32.CreateJobObjectW.restype = wintypes.HANDLE
        kernel32.SetInformationJobObject.argtypes = [
            wintypes.HANDLE,
            ctypes.c_int,
            ctypes.c_void_p,
            wintypes.DWORD,
        ]
        kernel32.SetInformationJobObject.restype = wintypes.BOOL
        kernel32.GetCurrentProcess.argtypes = []
        kernel32.GetCurrentProcess.restype = wintypes.HANDLE
        kernel32.AssignProcessToJobObject.argtypes = [wintypes.HANDLE, wintypes.HANDLE]
        kernel32.AssignProcessToJobObject.restype = wintypes.BOOL
        kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
        kernel32.CloseHandle.restype = wintypes.BOOL

        job = kernel32.CreateJobObjectW(None, None)
        if not job:
            return False
        info = ExtendedLimits()
        info.BasicLimitInformation.LimitFlags = job_object_limit_process_memory
        info.ProcessMemoryLimit = limit
        ok = kernel32.SetInformationJobObject(
            job, job_object_extended_limit_information, ctypes.byref(info), ctypes.sizeof(info)
        ) and kernel32.AssignProcessToJobObject(job, kernel32.GetCurrentProcess())
        if not ok:
            kernel32.CloseHandle(job)
            return False
        _JOB_HANDLE = job
        return True
    except (OSError, AttributeError, ValueError):
        return False
