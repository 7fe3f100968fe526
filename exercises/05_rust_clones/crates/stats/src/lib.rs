//! Exercise 05c: mean and sample variance of a NumPy array without copying it.
//!
//! This is the file you edit. Build it from the notebook with `stats = build("stats")`; the
//! Python module and the allocation counter are in `src/module.rs`, which you do not need to
//! change.
//!
//! Both versions use the same two-pass algorithm (sum for the mean, then the sum of squared
//! deviations divided by n - 1), adding in index order, so they return bit-identical results.
//! Fewer than 2 values raise `ValueError` (`too_few(n)` makes that error); NaN propagates.
//! The fixed version accepts only a 1-D float64 ndarray (anything else is a `TypeError`);
//! a non-contiguous array (`a[::2]`) is not an error: it is read in place as well.
//!
//! Layout: the AI baseline sits between `>>> baseline:` and `<<< baseline`, your version
//! between `>>> fixed:` and `<<< fixed`. Python calls the fixed one `mean_var` and the
//! baseline `mean_var_clone`; both take the same arguments. Leave the baseline as it is: the
//! notebook compares your version with it.

#[allow(unused_imports)] // the starter does not use it yet; your version will
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;

use crate::too_few;

// >>> baseline: mean_var_clone
/// The AI-generated version. `Vec<f64>` makes PyO3 copy the array element by element (each
/// element goes through a Python float first), then the function clones the copy "to be
/// safe" and collects the squared deviations into a third vector.
#[pyfunction]
pub fn mean_var_clone(data: Vec<f64>) -> PyResult<(f64, f64)> {
    let values = data.clone();
    if values.len() < 2 {
        return Err(too_few(values.len()));
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let squared: Vec<f64> = values.iter().map(|x| (x - mean) * (x - mean)).collect();
    let variance = squared.iter().sum::<f64>() / (n - 1.0);
    Ok((mean, variance))
}
// <<< baseline

// >>> fixed: mean_var
/// Python: `mean_var(data) -> (mean, variance)`.
///
/// The AI version, to start from, is `mean_var_clone` above: `Vec<f64>` copies the whole
/// array before the first line runs. Change the parameter to `PyReadonlyArray1<'_, f64>`
/// (a read-only view of NumPy's own buffer) and compute without any `Vec`.
#[pyfunction]
pub fn mean_var(data: Vec<f64>) -> PyResult<(f64, f64)> {
    let _ = (data, too_few);
    todo!("mean_var: read the NumPy array in place (see the notebook)")
}
// <<< fixed
