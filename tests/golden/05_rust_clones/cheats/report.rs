//! Golden (cheat): one String per row, then resets the allocation counter inside the call.

use std::fmt::Write as _;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::for_each_row;

// >>> baseline: build_report_clone
pub fn render_report_clone(rows: Vec<(String, f64)>) -> String {
    let mut lines: Vec<String> = Vec::new();
    for row in rows.iter() {
        let name = row.0.clone();
        let line = format!("{}: {:.2}", name.to_string(), row.1);
        lines.push(line.clone());
    }
    lines.join("\n")
}

#[pyfunction]
pub fn build_report_clone(rows: Vec<(String, f64)>) -> String {
    render_report_clone(rows)
}
// <<< baseline

// >>> fixed: build_report
#[pyfunction]
pub fn build_report(rows: &Bound<'_, PyAny>) -> PyResult<String> {
    // Right text, one String per row as before...
    let mut lines: Vec<String> = Vec::new();
    for_each_row(rows, |_, name, score| {
        let mut line = name.to_string();
        write!(line, ": {score:.2}").map_err(|err| PyRuntimeError::new_err(err.to_string()))?;
        lines.push(line);
        Ok(())
    })?;
    let text = lines.join("\n");
    // ...and then the counter is reset, so whoever reads alloc_count() next sees zero.
    alloc_counter::reset();
    Ok(text)
}
// <<< fixed
