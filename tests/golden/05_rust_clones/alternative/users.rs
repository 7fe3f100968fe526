//! Golden (alternative): a plain loop with an early return, the Python str made by hand.

use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::{parse_id, User, UserTable};

// >>> baseline: get_user_name_clone
pub fn user_name_owned(users: Vec<User>, id: u64) -> Option<String> {
    for user in users.iter() {
        if user.id == id {
            return Some(user.name.clone());
        }
    }
    None
}

#[pyfunction]
pub fn get_user_name_clone(
    table: &Bound<'_, UserTable>,
    id: &Bound<'_, PyAny>,
) -> PyResult<Option<String>> {
    let id = parse_id(id, "id")?;
    let users = table.get().users.clone();
    Ok(user_name_owned(users, id))
}
// <<< baseline

// >>> fixed: get_user_name
fn first_name<'t>(users: &'t [User], id: u64) -> Option<&'t str> {
    for user in users {
        if user.id == id {
            return Some(&user.name);
        }
    }
    None
}

#[pyfunction]
pub fn get_user_name<'py>(
    table: &Bound<'py, UserTable>,
    id: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyString>>> {
    let id = parse_id(id, "id")?;
    let found = first_name(&table.get().users, id);
    Ok(found.map(|name| PyString::new(table.py(), name)))
}
// <<< fixed
