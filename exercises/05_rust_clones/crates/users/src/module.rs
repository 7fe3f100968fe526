//! The Python module `users`: the part of the crate you do not edit.
//!
//! Your code is in `src/lib.rs`, which this file includes as the module `exercise` and whose
//! functions it registers with Python. When your work is graded, this file, `Cargo.toml` and
//! the `alloc_counter` crate are replaced by the course's own copies, so the allocation
//! counter below is always the one the grader trusts.
//!
//! Python API (module `users`):
//! * `UserTable(rows)`: built once from a list of `(id, name)` tuples (lists of two items work
//!   too). `id` must be an `int` (or have `__index__`, like `numpy.uint64`) in `0..=2**64-1`;
//!   `bool` is refused. `name` must be a `str`.
//! * `get_user_name(table, id)`: the FIXED version (yours, in `src/lib.rs`).
//! * `get_user_name_clone(table, id)`: the AI-generated BASELINE, kept for comparison.
//! * `alloc_count() -> (events, bytes)` and `alloc_reset()`: Rust heap allocations counted
//!   since the last reset (`events` = allocations + reallocations).
//! * `alloc_totals() -> (events, bytes, resets)`: the same since the module was loaded; these
//!   never go down (`alloc_reset` only moves the zero point of `alloc_count`).
//!
//! Bad input raises `TypeError` (wrong type, `None`, `bool`) or `ValueError` (an int outside
//! `0..=2**64-1`, a row without exactly two items). Nothing in here panics on any input.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyList, PyString, PyTuple};

#[global_allocator]
static ALLOC: alloc_counter::CountingAlloc = alloc_counter::CountingAlloc;

// `src/lib.rs` is the learner's file; `[lib] path` in Cargo.toml points at this one.
#[path = "lib.rs"]
mod exercise;

/// One row of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: u64,
    pub name: String,
}

/// The table, built once from Python and then only read.
#[pyclass(frozen, module = "users")]
pub struct UserTable {
    /// The rows in the order they were given (the first match wins on duplicate ids).
    pub users: Vec<User>,
}

#[pymethods]
impl UserTable {
    #[new]
    fn new(rows: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self {
            users: parse_rows(rows)?,
        })
    }

    fn __len__(&self) -> usize {
        self.users.len()
    }

    fn __repr__(&self) -> String {
        format!("UserTable(<{} users>)", self.users.len())
    }
}

/// `repr(obj)` cut to a readable length; never fails (a huge int's repr can raise).
fn short_repr(obj: &Bound<'_, PyAny>) -> String {
    const LIMIT: usize = 40;
    let text = match obj.repr() {
        Ok(repr) => repr.to_string_lossy().into_owned(),
        Err(_) => format!("<{} object>", type_name(obj)),
    };
    if text.chars().count() <= LIMIT {
        text
    } else {
        let head: String = text.chars().take(LIMIT).collect();
        format!("{head}...")
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "?".to_owned())
}

/// An `int` in `0..=u64::MAX`, or an object with `__index__` such as `numpy.uint64`.
/// `bool` is refused even though it subclasses `int`. `what` names the value in messages.
///
/// The happy path does not allocate; only the error messages do.
pub fn parse_id(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    let wrong_type = || {
        PyTypeError::new_err(format!(
            "{what} must be an int, got {}: {}",
            type_name(obj),
            short_repr(obj)
        ))
    };
    if obj.is_instance_of::<PyBool>() {
        return Err(wrong_type());
    }
    let index;
    let int = if obj.is_instance_of::<PyInt>() {
        obj
    } else {
        // numpy integers and other int-like objects: ask for `__index__`, as `operator.index`
        // does. A `float` or a `str` has no `__index__` and ends up as a TypeError.
        index = obj.call_method0("__index__").map_err(|_| wrong_type())?;
        if !index.is_instance_of::<PyInt>() {
            return Err(wrong_type());
        }
        &index
    };
    int.extract::<u64>().map_err(|_| {
        PyValueError::new_err(format!(
            "{what} must be in 0..=18446744073709551615 (an unsigned 64-bit int), got {}",
            short_repr(obj)
        ))
    })
}

fn parse_name(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    let name = obj.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be a str, got {}: {}",
            type_name(obj),
            short_repr(obj)
        ))
    })?;
    // A str holding a lone surrogate ("\udcff") is not valid UTF-8: to_str raises
    // UnicodeEncodeError (a ValueError); say which row it was.
    let text = name.to_str().map_err(|err| {
        PyValueError::new_err(format!("{what} is not valid UTF-8 text: {err}"))
    })?;
    Ok(text.to_owned())
}

/// The two items of a row given as a tuple or a list.
fn row_items<'py>(
    row: &Bound<'py, PyAny>,
    index: usize,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let items = if let Ok(tuple) = row.cast::<PyTuple>() {
        (tuple.len(), tuple.as_any().clone())
    } else if let Ok(list) = row.cast::<PyList>() {
        (list.len(), list.as_any().clone())
    } else {
        return Err(PyTypeError::new_err(format!(
            "rows[{index}] must be an (id, name) tuple, got {}: {}",
            type_name(row),
            short_repr(row)
        )));
    };
    if items.0 != 2 {
        return Err(PyValueError::new_err(format!(
            "rows[{index}] must have exactly 2 items (id, name), got {}",
            items.0
        )));
    }
    Ok((items.1.get_item(0)?, items.1.get_item(1)?))
}

fn parse_rows(rows: &Bound<'_, PyAny>) -> PyResult<Vec<User>> {
    let not_rows = || {
        PyTypeError::new_err(format!(
            "rows must be a list of (id, name) tuples, got {}",
            type_name(rows)
        ))
    };
    if rows.is_none() || rows.is_instance_of::<PyString>() {
        return Err(not_rows());
    }
    let iter = rows.try_iter().map_err(|_| not_rows())?;
    let mut users = Vec::with_capacity(rows.len().unwrap_or(0));
    for (index, row) in iter.enumerate() {
        let row = row?;
        let (id, name) = row_items(&row, index)?;
        users.push(User {
            id: parse_id(&id, &format!("rows[{index}] id"))?,
            name: parse_name(&name, &format!("rows[{index}] name"))?,
        });
    }
    Ok(users)
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
fn users(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // A panic (a `todo!()`, an index out of range) reaches Python as PyO3's PanicException,
    // which carries the message. Rust's default hook would also print a whole backtrace when
    // RUST_BACKTRACE is set; the location is all a learner needs.
    std::panic::set_hook(Box::new(|info| eprintln!("Rust {info}")));
    m.add_class::<UserTable>()?;
    m.add_function(wrap_pyfunction!(exercise::get_user_name, m)?)?;
    m.add_function(wrap_pyfunction!(exercise::get_user_name_clone, m)?)?;
    m.add_function(wrap_pyfunction!(alloc_count, m)?)?;
    m.add_function(wrap_pyfunction!(alloc_reset, m)?)?;
    m.add_function(wrap_pyfunction!(alloc_totals, m)?)?;
    Ok(())
}
