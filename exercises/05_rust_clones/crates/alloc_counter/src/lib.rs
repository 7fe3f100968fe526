//! Counts heap allocations made by Rust code.
//!
//! `CountingAlloc` forwards every request to [`std::alloc::System`] and bumps a few
//! process-wide atomic counters on the way. An extension crate installs it with
//!
//! ```text
//! #[global_allocator]
//! static ALLOC: alloc_counter::CountingAlloc = alloc_counter::CountingAlloc;
//! ```
//!
//! What is counted, and what is not:
//! * every successful `alloc`, `alloc_zeroed` and `realloc` is one *allocation event*; the
//!   bytes counted are the size requested (for `realloc`, the new size). A `Vec` that grows
//!   three times therefore shows up as four events, which is exactly the waste we want to see.
//! * `dealloc` is counted separately and never lowers the allocation count.
//! * memory that Python itself allocates (a `PyString` that PyO3 creates for a return value,
//!   NumPy buffers, ...) goes through CPython's allocator, not this one, so it is invisible here.
//! * the counters are global to the shared library that installs the allocator, and are shared
//!   by all threads of the process that call into it.
//! * the raw totals only ever grow. [`reset`] does not zero them: it records the current
//!   totals as the new zero point of [`snapshot`] and bumps a reset counter. A grader that
//!   reads [`totals`] before and after a call therefore sees every allocation of that call,
//!   even when the code under test calls `reset()` inside it (and sees that it did).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

// Raw totals since the library was loaded: only ever incremented.
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static REALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static DEALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
static RESETS: AtomicU64 = AtomicU64::new(0);

// The totals at the last `reset()`: the zero point of `snapshot()`.
static BASE_ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BASE_REALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BASE_DEALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BASE_BYTES: AtomicU64 = AtomicU64::new(0);

/// The counting allocator. Zero-sized: install it as a `static` with `#[global_allocator]`.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAlloc;

#[inline]
fn record(counter: &AtomicU64, size: usize) {
    counter.fetch_add(1, Ordering::Relaxed);
    BYTES.fetch_add(size as u64, Ordering::Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the only
// extra work is lock-free atomic arithmetic, which never allocates and never panics.
unsafe impl GlobalAlloc for CountingAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            record(&ALLOCATIONS, layout.size());
        }
        ptr
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            record(&ALLOCATIONS, layout.size());
        }
        ptr
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_ptr = unsafe { System.realloc(ptr, layout, new_size) };
        if !new_ptr.is_null() {
            record(&REALLOCATIONS, new_size);
        }
        new_ptr
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        DEALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// A copy of the counters at one moment.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// Successful `alloc` + `alloc_zeroed` calls.
    pub allocations: u64,
    /// Successful `realloc` calls (a growing `String`/`Vec` that outgrew its capacity).
    pub reallocations: u64,
    /// `dealloc` calls.
    pub deallocations: u64,
    /// Bytes requested by `alloc`, `alloc_zeroed` and `realloc` (new size).
    pub bytes: u64,
}

impl Snapshot {
    /// Allocation events: fresh allocations plus reallocations.
    pub fn events(&self) -> u64 {
        self.allocations + self.reallocations
    }
}

/// The raw totals since the library was loaded. They never go down, whatever `reset` does.
pub fn totals() -> Snapshot {
    Snapshot {
        allocations: ALLOCATIONS.load(Ordering::Relaxed),
        reallocations: REALLOCATIONS.load(Ordering::Relaxed),
        deallocations: DEALLOCATIONS.load(Ordering::Relaxed),
        bytes: BYTES.load(Ordering::Relaxed),
    }
}

/// How many times `reset` was called since the library was loaded.
pub fn resets() -> u64 {
    RESETS.load(Ordering::Relaxed)
}

/// The counters since the last `reset` (or since the library was loaded).
pub fn snapshot() -> Snapshot {
    let now = totals();
    Snapshot {
        allocations: now.allocations.saturating_sub(BASE_ALLOCATIONS.load(Ordering::Relaxed)),
        reallocations: now
            .reallocations
            .saturating_sub(BASE_REALLOCATIONS.load(Ordering::Relaxed)),
        deallocations: now
            .deallocations
            .saturating_sub(BASE_DEALLOCATIONS.load(Ordering::Relaxed)),
        bytes: now.bytes.saturating_sub(BASE_BYTES.load(Ordering::Relaxed)),
    }
}

/// Makes `snapshot()` count from zero again. The raw totals are left alone.
pub fn reset() {
    let now = totals();
    BASE_ALLOCATIONS.store(now.allocations, Ordering::Relaxed);
    BASE_REALLOCATIONS.store(now.reallocations, Ordering::Relaxed);
    BASE_DEALLOCATIONS.store(now.deallocations, Ordering::Relaxed);
    BASE_BYTES.store(now.bytes, Ordering::Relaxed);
    RESETS.fetch_add(1, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[global_allocator]
    static ALLOC: CountingAlloc = CountingAlloc;

    #[test]
    fn counts_a_box_and_a_growing_vec() {
        // The test harness runs other threads, so compare deltas with lower bounds only.
        let before = totals();
        let boxed = Box::new([0u8; 64]);
        let mut v: Vec<u64> = Vec::with_capacity(1);
        v.extend([1, 2, 3, 4]);
        let after = totals();
        assert!(after.allocations >= before.allocations + 2);
        assert!(after.reallocations > before.reallocations);
        assert!(after.bytes >= before.bytes + 64 + 8);
        drop((boxed, v));
        assert!(totals().deallocations >= after.deallocations + 2);
    }

    #[test]
    fn reset_moves_the_zero_point_but_never_lowers_the_totals() {
        let kept = Box::new(1u32);
        let before = totals();
        let resets = resets();
        reset();
        assert!(snapshot().allocations <= totals().allocations - before.allocations);
        assert!(totals().allocations >= before.allocations);
        assert!(super::resets() > resets);
        drop(kept);
    }
}
