//! `$metadata`: the CSDL the generator wrote, as XML (the default, what SAC reads)
//! or as JSON when the client asks for it with `$format=json` or
//! `Accept: application/json`, as CAP serves it.

use axum::http::StatusCode;

use super::catalog::Catalog;
use super::error::ODataError;
use super::read::Answer;

/// The metadata document in the form the request asks for.
pub fn answer(catalog: &Catalog, query: &str, accept: &str) -> Result<Answer, ODataError> {
    let format = form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "$format")
        .map(|(_, value)| value.into_owned());
    let json = match format.as_deref() {
        Some("json" | "application/json") => true,
        Some("xml" | "application/xml") => false,
        Some(other) => {
            return Err(ODataError::new(
                StatusCode::NOT_ACCEPTABLE,
                format!(
                    "$metadata comes as xml or json, not `{}`",
                    super::filter::cut(other)
                ),
            ))
        }
        None => accept.contains("application/json") && !accept.contains("application/xml"),
    };
    Ok(if json {
        Answer::CsdlJson(catalog.metadata_json.clone())
    } else {
        Answer::Xml(catalog.metadata.clone())
    })
}
