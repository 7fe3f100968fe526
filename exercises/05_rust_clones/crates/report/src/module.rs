//! The Python module `report`: the part of the crate you do not edit.
//!
//! Your code is in `src/lib.rs`, which this file includes as the module `exercise` and whose
//! functions it registers with Python. When your work is graded, this file, `Cargo.toml` and
//! the `alloc_counter` crate are replaced by the course's own copies, so the allocation
//! counter below is always the one the grader trusts.
//!
//! Python API (module `report`):
//! * `build_report(rows) -> str`: the FIXED version (yours, in `src/lib.rs`).
//! * `build_report_clone(rows) -> str`: the AI-generated BASELINE, kept for comparison.
//! * `alloc_count() -> (events, bytes)` and `alloc_reset()`: Rust heap allocations counted
//!   since the last reset (`events` = allocations + reallocations).
//! * `alloc_totals() -> (events, bytes, resets)`: the same since the module was loaded; these
//!   never go down (`alloc_reset` only moves the zero point of `alloc_count`).
//!
//! `rows` is a list (or tuple) of `(name, score)` pairs, `name` a `str` and `score` a `float`
//! (an `int` is accepted too, `bool` is not). Bad input raises `TypeError` (or `ValueError`
//! for a row without exactly two items, a score that is NaN or infinite, or a name that is
//! not valid UTF-8).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyList, PyString, PyTuple};

#[global_allocator]
static ALLOC: alloc_counter::CountingAlloc = alloc_counter::CountingAlloc;

// `src/lib.rs` is the learner's file; `[lib] path` in Cargo.toml points at this one.
#[path = "lib.rs"]
mod exercise;

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "?".to_owned())
}

/// Calls `each(index, name, score)` for every row of `rows`, in order, after checking it.
///
/// `name` is borrowed straight from the Python `str` (no copy), so walking the rows does not
/// allocate; only the error messages do. Stops at the first error `each` returns. Bad input:
/// `TypeError` when `rows` is not a list or tuple, a row is not a 2-item tuple or list, a
/// name is not a `str` or a score not a number; `ValueError` for a row of the wrong length, a
/// score that is NaN or infinite, or a name that is not valid UTF-8 (a lone surrogate such as
/// `"\udcff"`).
pub fn for_each_row(
    rows: &Bound<'_, PyAny>,
    mut each: impl FnMut(usize, &str, f64) -> PyResult<()>,
) -> PyResult<()> {
    if !(rows.is_instance_of::<PyList>() || rows.is_instance_of::<PyTuple>()) {
        return Err(PyTypeError::new_err(format!(
            "rows must be a list of (name, score) tuples, got {}",
            type_name(rows)
        )));
    }
    for (index, row) in rows.try_iter()?.enumerate() {
        let (name, score) = parse_row(&row?, index)?;
        let text = name.to_str().map_err(|err| {
            PyValueError::new_err(format!("rows[{index}] name is not valid UTF-8 text: {err}"))
        })?;
        each(index, text, score)?;
    }
    Ok(())
}

/// One `(name, score)` row, without copying the name. Allocates only for error messages.
fn parse_row<'py>(row: &Bound<'py, PyAny>, index: usize) -> PyResult<(Bound<'py, PyString>, f64)> {
    let (name, score) = if let Ok(tuple) = row.cast::<PyTuple>() {
        if tuple.len() != 2 {
            return Err(wrong_length(index, tuple.len()));
        }
        (tuple.get_item(0)?, tuple.get_item(1)?)
    } else if let Ok(list) = row.cast::<PyList>() {
        if list.len() != 2 {
            return Err(wrong_length(index, list.len()));
        }
        (list.get_item(0)?, list.get_item(1)?)
    } else {
        return Err(PyTypeError::new_err(format!(
            "rows[{index}] must be a (name, score) tuple, got {}",
            type_name(row)
        )));
    };
    let name = name.cast_into::<PyString>().map_err(|err| {
        PyTypeError::new_err(format!(
            "rows[{index}] name must be a str, got {}",
            type_name(&err.into_inner())
        ))
    })?;
    let is_number = (score.is_instance_of::<PyFloat>() || score.is_instance_of::<PyInt>())
        && !score.is_instance_of::<PyBool>();
    if !is_number {
        return Err(PyTypeError::new_err(format!(
            "rows[{index}] score must be a float, got {}",
            type_name(&score)
        )));
    }
    let score = score.extract::<f64>()?;
    if !score.is_finite() {
        // "NaN" (Rust) and "nan" (Python) would disagree, and a report of NaN helps nobody.
        return Err(PyValueError::new_err(format!(
            "rows[{index}] score must be finite, got {score}"
        )));
    }
    Ok((name, score))
}

fn wrong_length(index: usize, len: usize) -> PyErr {
    PyValueError::new_err(format!(
        "rows[{index}] must have exactly 2 items (name, score), got {len}"
    ))
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
fn report(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // A panic (a `todo!()`, an index out of range) reaches Python as PyO3's PanicException,
    // which carries the message. Rust's default hook would also print a whole backtrace when
    // RUST_BACKTRACE is set; the location is all a learner needs.
    std::panic::set_hook(Box::new(|info| eprintln!("Rust {info}")));
    m.add_function(wrap_pyfunction!(exercise::build_report, m)?)?;
    m.add_function(wrap_pyfunction!(exercise::build_report_clone, m)?)?;
    m.add_function(wrap_pyfunction!(alloc_count, m)?)?;
    m.add_function(wrap_pyfunction!(alloc_reset, m)?)?;
    m.add_function(wrap_pyfunction!(alloc_totals, m)?)?;
    Ok(())
}
