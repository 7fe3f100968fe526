//! Golden (does not compile): multiplies the PyResult<usize> of rows.len() (E0369).

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
    let mut out = String::with_capacity(rows.len() * 32);
    for_each_row(rows, |index, name, score| {
        if index > 0 {
            out.push('\n');
        }
        write!(out, "{name}: {score:.2}").map_err(|err| PyRuntimeError::new_err(err.to_string()))
    })?;
    Ok(out)
}
// <<< fixed
