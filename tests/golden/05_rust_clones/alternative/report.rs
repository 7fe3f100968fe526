//! Golden (alternative): exact sizing from the score's digits, push_str, one trailing pop.

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
/// Characters `{:.2}` may print for `score`: sign, integer digits (+1 if rounding carries),
/// the point and two decimals.
fn score_width(score: f64) -> usize {
    let whole = score.abs().trunc();
    let digits = if whole < 1.0 { 1 } else { whole.log10().floor() as usize + 1 };
    1 + digits + 1 + 3
}

#[pyfunction]
pub fn build_report(rows: &Bound<'_, PyAny>) -> PyResult<String> {
    let mut needed = 0;
    for_each_row(rows, |_, name, score| {
        needed += name.len() + ": ".len() + score_width(score) + "\n".len();
        Ok(())
    })?;
    let mut out = String::with_capacity(needed);
    for_each_row(rows, |_, name, score| {
        out.push_str(name);
        out.push_str(": ");
        write!(out, "{score:.2}").map_err(|err| PyRuntimeError::new_err(err.to_string()))?;
        out.push('\n');
        Ok(())
    })?;
    out.pop(); // the newline after the last line
    Ok(out)
}
// <<< fixed
