"""What machine a measurement ran on: CPU model, vector ISA, cores, load.

Speedups depend on the machine (AVX-512 vs AVX2, other processes competing), so every
report carries this one-line note.
"""

from __future__ import annotations

import os
import platform
from functools import lru_cache
from pathlib import Path

# Widest first: the first flag present names the ISA level.
_ISA_LEVELS = (
    ("avx512f", "AVX-512"),
    ("avx2", "AVX2"),
    ("avx", "AVX"),
    ("sse4_2", "SSE4.2"),
    ("sse2", "SSE2"),
    ("asimd", "NEON"),  # aarch64 spells its SIMD flag this way
)


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU feature flags from /proc/cpuinfo (empty where there is no such file)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


@lru_cache(maxsize=1)
def cpu_model() -> str:
    """The CPU model name, or the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def isa_level(flags: frozenset[str] | None = None) -> str:
    """The widest vector ISA the CPU supports, e.g. "AVX2"; "unknown" without flags."""
    flags = cpu_flags() if flags is None else flags
    for flag, name in _ISA_LEVELS:
        if flag in flags:
            return name
    return "unknown"


def vector_bits(flags: frozenset[str] | None = None) -> int:
    """Widest vector register in bits: 512 (zmm), 256 (ymm) or 128 (xmm)."""
    level = isa_level(flags)
    return {"AVX-512": 512, "AVX2": 256, "AVX": 256}.get(level, 128)


def machine_note() -> str:
    """One line: CPU, ISA (with FMA), logical CPUs, 1-minute load average."""
    flags = cpu_flags()
    isa = isa_level(flags) + ("+FMA" if "fma" in flags else "")
    try:
        load = f"load {os.getloadavg()[0]:.1f}"
    except OSError:
        load = "load n/a"
    return f"{cpu_model()}, {isa}, {os.cpu_count()} CPUs, {load}"
