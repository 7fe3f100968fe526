//! The Python module `stats`: the part of the crate you do not edit.
//!
//! Your code is in `src/lib.rs`, which this file includes as the module `exercise` and whose
//! functions it registers with Python. When your work is graded, this file, `Cargo.toml` and
//! the `alloc_counter` crate are replaced by the course's own copies, so the allocation
//! counter below is always the one the grader trusts.
//!
//! Python API (module `stats`):
//! * `mean_var(data) -> (mean, variance)`: the FIXED version (yours, in `src/lib.rs`).
//! * `mean_var_clone(data) -> (mean, variance)`: the AI-generated BASELINE; copies.
//! * `alloc_count() -> (events, bytes)` and `alloc_reset()`: Rust heap allocations counted
//!   since the last reset (`events` = allocations + reallocations).
//! * `alloc_totals() -> (events, bytes, resets)`: the same since the module was loaded; these
//!   never go down (`alloc_reset` only moves the zero point of `alloc_count`).
//!
//! `data` is a 1-D `float64` NumPy array; the variance is the sample variance (divided by
//! n - 1). Fewer than 2 values raise `ValueError`; NaN propagates.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

#[global_allocator]
static ALLOC: alloc_counter::CountingAlloc = alloc_counter::CountingAlloc;

// `src/lib.rs` is the learner's file; `[lib] path` in Cargo.toml points at this one.
#[path = "lib.rs"]
mod exercise;

/// The error for fewer than two values (a sample variance divides by n - 1).
pub fn too_few(n: usize) -> PyErr {
    PyValueError::new_err(format!("sample variance needs at least 2 values, got {n}"))
}

/// `(events, bytes)` counted by the Rust global allocator since the last `alloc_reset()`.
#[pyfunction]
fn alloc_count() -> (u64, u64) {
    let snapshot = alloc_counter::snapshot();
    (snapshot.events(), snapshot.bytes)
}

/// Makes `alloc_count()` start from zero again.
#[pyfunction]
fn alloc_reset() {
    alloc_counter::reset();
}

/// `(events, bytes, resets)` since the module was loaded; never lowered by a reset.
#[pyfunction]
fn alloc_totals() -> (u64, u64, u64) {
    let totals = alloc_counter::totals();
    (totals.events(), totals.bytes, alloc_counter::resets())
}

#[pymodule]
fn stats(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // A panic (a `todo!()`, an index out of range) reaches Python as PyO3's PanicException,
    // which carries the message. Rust's default hook would also print a whole backtrace when
    // RUST_BACKTRACE is set; the location is all a learner needs.
    std::panic::set_hook(Box::new(|info| eprintln!("Rust {info}")));
    m.add_function(wrap_pyfunction!(exercise::mean_var, m)?)?;
    m.add_function(wrap_pyfunction!(exercise::mean_var_clone, m)?)?;
    m.add_function(wrap_pyfunction!(alloc_count, m)?)?;
    m.add_function(wrap_pyfunction!(alloc_reset, m)?)?;
    m.add_function(wrap_pyfunction!(alloc_totals, m)?)?;
    Ok(())
}
