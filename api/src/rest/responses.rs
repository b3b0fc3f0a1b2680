//! Response shapes shared by the REST operations.

use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;

use super::problem::ApiError;

pub type Result<T> = std::result::Result<T, ApiError>;

#[derive(ApiResponse)]
pub enum NoContent {
    #[oai(status = 204)]
    Done,
}

#[derive(ApiResponse)]
pub enum Created<T: poem_openapi::types::ToJSON + Send + Sync> {
    #[oai(status = 201)]
    Created(Json<T>),
}

/// A PATCH field: absent leaves it, `null` clears it, a value sets it.
pub fn patch_value<T>(v: MaybeUndefined<T>) -> Option<Option<T>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(x) => Some(Some(x)),
    }
}
