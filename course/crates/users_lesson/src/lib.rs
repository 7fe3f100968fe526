//! Lesson 05: the article's `get_user_name`, cloned and borrowed, side by side.
//!
//! Python API (module `users_lesson`):
//! * `Table.synthetic(n)`: `n` users with ids `0..n` and names `"user-000042"`.
//! * `table.lookup_clone(id)` / `table.lookup_borrow(id) -> str | None`: one lookup through
//!   the article's AI version (the caller clones the table, as its signature forces) or
//!   through the borrowed version.
//! * `table.time_clone(id, calls)` / `table.time_borrow(id, calls) -> float`: seconds per
//!   lookup, timed inside Rust (no Python call in the loop).
//! * `alloc_count() -> (allocations, bytes)` and `alloc_reset()`: Rust heap allocations
//!   counted by the global allocator below since the last reset.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

// ---------------------------------------------------------------- counting every allocation

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

/// Forwards to the system allocator and counts each allocation (and reallocation).
struct Counting;

// SAFETY: every method forwards to `System` unchanged; counting is lock-free arithmetic.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

// ---------------------------------------------------------------- the two versions

#[derive(Clone, Debug)]
pub struct User {
    pub id: u64,
    pub name: String,
}

/// The article's AI version: it owns the table, so a caller that still needs the table
/// afterwards must hand it a `.clone()`.
pub fn get_user_name_owned(users: Vec<User>, id: u64) -> Option<String> {
    for user in users.iter() {
        if user.id == id {
            return Some(user.name.clone());
        }
    }
    None
}

/// The borrowed version: a read-only view of the table in, a view of one name out.
pub fn get_user_name(users: &[User], id: u64) -> Option<&str> {
    users.iter().find(|user| user.id == id).map(|user| user.name.as_str())
}

// ---------------------------------------------------------------- Python side

#[pyclass(frozen)]
pub struct Table {
    users: Vec<User>,
}

fn check_calls(calls: u32) -> PyResult<f64> {
    if calls == 0 {
        return Err(PyValueError::new_err("calls must be at least 1"));
    }
    Ok(f64::from(calls))
}

#[pymethods]
impl Table {
    /// `n` users with ids `0..n`.
    #[staticmethod]
    fn synthetic(n: usize) -> Self {
        let users = (0..n)
            .map(|i| User { id: i as u64, name: format!("user-{i:06}") })
            .collect();
        Self { users }
    }

    fn __len__(&self) -> usize {
        self.users.len()
    }

    /// One lookup the AI way: clone the table, give the clone away, get a cloned name back.
    fn lookup_clone(&self, id: u64) -> Option<String> {
        get_user_name_owned(self.users.clone(), id)
    }

    /// One lookup the borrowed way; PyO3 copies the `&str` into a new Python `str`.
    fn lookup_borrow(&self, id: u64) -> Option<&str> {
        get_user_name(&self.users, id)
    }

    /// Seconds per lookup of the AI version, over `calls` lookups timed inside Rust.
    fn time_clone(&self, id: u64, calls: u32) -> PyResult<f64> {
        let n = check_calls(calls)?;
        let start = Instant::now();
        for _ in 0..calls {
            // black_box: the optimiser may not skip work whose result is never used.
            black_box(get_user_name_owned(black_box(&self.users).clone(), black_box(id)));
        }
        Ok(start.elapsed().as_secs_f64() / n)
    }

    /// Seconds per lookup of the borrowed version, over `calls` lookups timed inside Rust.
    fn time_borrow(&self, id: u64, calls: u32) -> PyResult<f64> {
        let n = check_calls(calls)?;
        let start = Instant::now();
        for _ in 0..calls {
            black_box(get_user_name(black_box(&self.users), black_box(id)));
        }
        Ok(start.elapsed().as_secs_f64() / n)
    }
}

/// `(allocations, bytes)` since the last `alloc_reset()`.
#[pyfunction]
fn alloc_count() -> (u64, u64) {
    (ALLOCATIONS.load(Ordering::Relaxed), BYTES.load(Ordering::Relaxed))
}

/// Counts from zero again.
#[pyfunction]
fn alloc_reset() {
    ALLOCATIONS.store(0, Ordering::Relaxed);
    BYTES.store(0, Ordering::Relaxed);
}

#[pymodule]
fn users_lesson(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Table>()?;
    m.add_function(wrap_pyfunction!(alloc_count, m)?)?;
    m.add_function(wrap_pyfunction!(alloc_reset, m)?)?;
    Ok(())
}
