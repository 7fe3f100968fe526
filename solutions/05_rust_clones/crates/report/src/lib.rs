//! Exercise 05b: build a text report without allocating a `String` per row.
//!
//! This is the file you edit. Build it from the notebook with `report = build("report")`; the
//! Python side (checking the rows, the allocation counter) is in `src/module.rs`, which you do
//! not need to change.
//!
//! Both versions return the same text: one line per row, `"{name}: {score:.2}"`, joined with
//! `"\n"` (no trailing newline; `""` for no rows).
//!
//! Layout: the AI baseline sits between `>>> baseline:` and `<<< baseline`, your version
//! between `>>> fixed:` and `<<< fixed`. Python calls the fixed one `build_report` and the
//! baseline `build_report_clone`; both take the same arguments. Leave the baseline as it is:
//! the notebook compares your version with it.

use std::fmt::Write as _;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::for_each_row;

// >>> baseline: build_report_clone
/// The AI-generated version: PyO3 first copies every name into a new `String` (that is what
/// `Vec<(String, f64)>` asks for), then each row clones the name, converts it to a string
/// again, formats a fresh line, clones that line into a `Vec`, and `join` copies everything
/// once more. Roughly five heap allocations per row.
pub fn render_report_clone(rows: Vec<(String, f64)>) -> String {
    let mut lines: Vec<String> = Vec::new();
    for row in rows.iter() {
        let name = row.0.clone();
        let line = format!("{}: {:.2}", name.to_string(), row.1);
        lines.push(line.clone());
    }
    lines.join("\n")
}

/// Python: `build_report_clone(rows) -> str`.
#[pyfunction]
pub fn build_report_clone(rows: Vec<(String, f64)>) -> String {
    render_report_clone(rows)
}
// <<< baseline

// >>> fixed: build_report
// BEGIN SOLUTION
/// Bytes reserved per row besides the name: `": "`, `"\n"` and the score. 16 characters hold
/// any score with |score| < 1e12 at two decimals; a longer one makes the buffer grow, which
/// the allocation counter shows as a reallocation.
const ROW_OVERHEAD: usize = 2 + 1 + 16;

/// Python: `build_report(rows) -> str`.
///
/// Two passes over the rows, both borrowing each name from Python: the first adds up the
/// exact name lengths, the second writes every line into one `String` sized up front. One
/// heap allocation per call, whatever the number of rows.
#[pyfunction]
pub fn build_report(rows: &Bound<'_, PyAny>) -> PyResult<String> {
    let mut capacity = 0;
    for_each_row(rows, |_, name, _| {
        capacity += name.len() + ROW_OVERHEAD;
        Ok(())
    })?;
    let mut out = String::with_capacity(capacity);
    for_each_row(rows, |index, name, score| {
        if index > 0 {
            out.push('\n');
        }
        // Writing into a String cannot fail; map the impossible error instead of panicking.
        write!(out, "{name}: {score:.2}")
            .map_err(|_| PyRuntimeError::new_err("formatting the report failed"))
    })?;
    Ok(out)
}
// END SOLUTION
// BEGIN STARTER
// /// Python: `build_report(rows) -> str`.
// ///
// /// The AI version, to start from (about five heap allocations per row):
// ///
// ///     #[pyfunction]
// ///     pub fn build_report(rows: Vec<(String, f64)>) -> String {
// ///         let mut lines: Vec<String> = Vec::new();
// ///         for row in rows.iter() {
// ///             let name = row.0.clone();
// ///             let line = format!("{}: {:.2}", name.to_string(), row.1);
// ///             lines.push(line.clone());
// ///         }
// ///         lines.join("\n")
// ///     }
// ///
// /// `rows` below is the Python list itself, borrowed: `for_each_row(rows, |index, name,
// /// score| { ...; Ok(()) })?` walks it, checks every row, and hands you each name as a
// /// `&str` that points into the Python string (no copy).
// #[pyfunction]
// pub fn build_report(rows: &Bound<'_, PyAny>) -> PyResult<String> {
//     let _ = rows;
//     todo!("build_report: write every line into one String (see the notebook)")
// }
// END STARTER
// <<< fixed
