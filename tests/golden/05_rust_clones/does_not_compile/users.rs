//! Golden (does not compile): returns a name borrowed from a local clone (E0515).

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
#[pyfunction]
pub fn get_user_name<'a>(
    table: &'a Bound<'_, UserTable>,
    id: &Bound<'_, PyAny>,
) -> PyResult<Option<&'a str>> {
    let id = parse_id(id, "id")?;
    let users = table.get().users.clone();
    Ok(users.iter().find(|user| user.id == id).map(|user| user.name.as_str()))
}
// <<< fixed
