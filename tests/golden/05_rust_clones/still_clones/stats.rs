//! Golden (still clones): the AI version pasted in as the fix.

use numpy::PyReadonlyArray1;
use pyo3::prelude::*;

use crate::too_few;

// >>> baseline: mean_var_clone
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
#[pyfunction]
pub fn mean_var(data: Vec<f64>) -> PyResult<(f64, f64)> {
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
// <<< fixed
