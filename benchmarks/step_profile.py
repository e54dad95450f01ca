"""One training step under torch.profiler, reduced to the GPU kernels that took its time (shared by the Axolotl
throughput plugin and bench_unsloth.py, so both sides of the comparison are profiled alike)."""
from __future__ import annotations

import torch


def profiler() -> torch.profiler.profile:
    activities = [torch.profiler.ProfilerActivity.CPU]
    if torch.cuda.is_available():
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    return torch.profiler.profile(activities=activities)


def top_kernels(prof: torch.profiler.profile, n: int = 15) -> dict:
    """The n kernels with the most self device time (CPU time without a GPU), and the step's total."""
    def own(e) -> float:
        return getattr(e, "self_device_time_total", None) or getattr(e, "self_cuda_time_total", 0) or 0

    # kernels only: an operator's self device time is the time of the kernels it launched, which are listed too
    events = [e for e in prof.key_averages() if own(e) > 0 and e.device_type != torch.autograd.DeviceType.CPU]
    if not events:  # no device: CPU operators instead
        events, own = list(prof.key_averages()), (lambda e: e.self_cpu_time_total)
    total = sum(own(e) for e in events)
    top = sorted(events, key=own, reverse=True)[:n]
    return {"total_ms": round(total / 1000, 2),
            "kernels": [{"name": e.key[:120], "ms": round(own(e) / 1000, 2), "calls": e.count,
                         "share": round(own(e) / total, 4) if total else 0} for e in top]}
