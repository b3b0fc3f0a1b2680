//! A JSON request body read with serde, so that an error names the field it
//! is about (poem-openapi's own parser names only the type). The schema
//! still comes from the type's `Object` derive.

use poem::http::StatusCode;
use poem::{Request, RequestBody};
use poem_openapi::impl_apirequest_for_payload;
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use serde::de::DeserializeOwned;

use super::problem::{ApiError, Problem};

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub struct JsonBody<T>(pub T);

impl<T: Type> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        poem_openapi::payload::Json::<T>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

fn bad_body(field: &str, code: &str, reason: String) -> poem::Error {
    ApiError::from(
        Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed-body",
            "The request body is invalid",
        )
        .field(field, code, reason),
    )
    .into()
}

/// serde says "missing field `x`" or "unknown field `x`, expected …" at the
/// parent's path; the field is the one in backticks.
fn field_in_message(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

pub fn parse_json<T: DeserializeOwned>(data: &[u8]) -> poem::Result<T> {
    if std::str::from_utf8(data).is_err() {
        return Err(bad_body(
            "body",
            "invalid_utf8",
            "the body is not valid UTF-8".into(),
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(data);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(value) => {
            de.end().map_err(|e| {
                bad_body(
                    "body",
                    "malformed_json",
                    format!("trailing characters: {e}"),
                )
            })?;
            Ok(value)
        }
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            let message = inner.to_string();
            let (field, code) = if message.starts_with("missing field") {
                (
                    field_in_message(&message).unwrap_or("body").to_string(),
                    "required",
                )
            } else if message.starts_with("unknown field") {
                (
                    field_in_message(&message).unwrap_or("body").to_string(),
                    "unknown_field",
                )
            } else if inner.is_syntax() || inner.is_eof() || path == "." {
                ("body".to_string(), "malformed_json")
            } else {
                (path, "wrong_type")
            };
            // serde's message ends with " at line 1 column 9"; the field
            // name says more to a client than a column does.
            let reason = match message.rfind(" at line ") {
                Some(i) => message[..i].to_string(),
                None => message,
            };
            Err(bad_body(&field, code, reason))
        }
    }
}

impl<T: Type + DeserializeOwned> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(_request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let data = body
            .take()?
            .into_bytes_limit(MAX_BODY_BYTES)
            .await
            .map_err(|e| match e {
                poem::error::ReadBodyError::PayloadTooLarge => poem::Error::from(ApiError::from(
                    Problem::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too-large",
                        "Request body too large",
                    )
                    .detail(format!("At most {MAX_BODY_BYTES} bytes.")),
                )),
                other => poem::Error::from(other),
            })?;
        if data.is_empty() {
            return Err(bad_body(
                "body",
                "required",
                "a JSON body is required".into(),
            ));
        }
        parse_json(&data).map(JsonBody)
    }
}

impl_apirequest_for_payload!(JsonBody<T>, T: Type + DeserializeOwned);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        email: String,
        count: u32,
    }

    fn field_of(data: &[u8]) -> String {
        let err = parse_json::<Sample>(data).unwrap_err();
        let problem = &err.downcast_ref::<ApiError>().unwrap().0;
        problem.invalid_params[0].name.clone()
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(field_of(br#"{"email": "a@b.pl"}"#), "count");
        assert_eq!(field_of(br#"{"email": "a@b.pl", "count": "x"}"#), "count");
        assert_eq!(field_of(br#"{"email": 5, "count": 1}"#), "email");
        assert_eq!(
            field_of(br#"{"email": "a@b.pl", "count": 1, "admin": true}"#),
            "admin"
        );
        assert_eq!(field_of(br#"{"email": "#), "body");
        assert_eq!(field_of(b"{\"email\": \"\xff\"}"), "body");
        assert!(parse_json::<Sample>(br#"{"email": "a@b.pl", "count": 1}"#).is_ok());
    }
}
