//! Exercise 05a: find a user's name without cloning the whole table.
//!
//! This is the file you edit. Build it from the notebook with `users = build("users")`; the
//! Python side (the `UserTable` class, argument checks, the allocation counter) is in
//! `src/module.rs`, which you do not need to change.
//!
//! Policy, the same for both versions: a missing id returns `None`; with duplicate ids the
//! first matching row wins; a bad `id` raises `TypeError`/`ValueError` (`parse_id` does that).
//!
//! Layout: the AI baseline sits between `>>> baseline:` and `<<< baseline`, your version
//! between `>>> fixed:` and `<<< fixed`. Python calls the fixed one `get_user_name` and the
//! baseline `get_user_name_clone`; both take the same arguments. Leave the baseline as it is:
//! the notebook compares your version with it.

use pyo3::prelude::*;

use crate::{parse_id, User, UserTable};

// >>> baseline: get_user_name_clone
/// The article's AI-generated lookup: it takes the whole table by value, so every caller has
/// to `.clone()` the `Vec` (one allocation for the buffer plus one per name), and then it
/// clones the name it found as well. That is n + 2 heap allocations per lookup.
pub fn user_name_owned(users: Vec<User>, id: u64) -> Option<String> {
    for user in users.iter() {
        if user.id == id {
            return Some(user.name.clone());
        }
    }
    None
}

/// Python: `get_user_name_clone(table, id) -> str | None`.
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
/// Python: `get_user_name(table, id) -> str | None`.
///
/// The AI version, to start from (it clones the whole table and then the name):
///
///     let id = parse_id(id, "id")?;
///     let users = table.get().users.clone();
///     Ok(user_name_owned(users, id))
///
/// You may change the signature (the return type in particular): Python only sees
/// `get_user_name(table, id) -> str | None`.
#[pyfunction]
pub fn get_user_name(
    table: &Bound<'_, UserTable>,
    id: &Bound<'_, PyAny>,
) -> PyResult<Option<String>> {
    let _ = (table, id);
    todo!("get_user_name: find the name without cloning the table (see the notebook)")
}
// <<< fixed
