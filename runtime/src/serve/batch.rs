//! `$batch`: several reads in one `POST <service>/$batch`, as OData 4.01 JSON
//! (`{"requests": [...]}`) or OData 4.0 `multipart/mixed`, answered as CAP answers
//! them. Every GET part is answered as the same GET alone would be (limits and
//! timeout included); a part that would write (any other method, or a change set) is
//! refused on its own with 405, as a read-only service must.
//!
//! CAP's way, followed here: a JSON batch answers every request in order; a
//! multipart batch stops after the first part that fails (OData's default without
//! `Prefer: odata.continue-on-error`), and answers a change set with one part.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ODataError;
use super::{read, Shared};

/// The largest batch body, in bytes.
pub const MAX_BODY: usize = 1024 * 1024;

/// The most requests in one batch.
pub const MAX_PARTS: usize = 100;

/// Answers a `$batch` request.
pub async fn answer(shared: &Arc<Shared>, headers: &HeaderMap, body: Body) -> Response {
    match run(shared, headers, body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn run(
    shared: &Arc<Shared>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ODataError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        ODataError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("a $batch body may hold at most {MAX_BODY} bytes; send fewer requests at once"),
        )
    })?;
    let media = content_type.split(';').next().unwrap_or_default().trim();
    if media.eq_ignore_ascii_case("application/json") {
        json_batch(shared, &body).await
    } else if media.eq_ignore_ascii_case("multipart/mixed") {
        let boundary = boundary(&content_type).ok_or_else(|| {
            ODataError::bad_request("no boundary found in the Content-Type header of the $batch")
        })?;
        let text = std::str::from_utf8(&body)
            .map_err(|_| ODataError::bad_request("the $batch body is not UTF-8"))?;
        multipart_batch(shared, text, &boundary).await
    } else {
        Err(ODataError::bad_request(
            "batch requests must have content type multipart/mixed or application/json",
        ))
    }
}

/// What one part asked for.
struct Part {
    method: String,
    url: String,
}

/// What one part got.
struct Reply {
    status: StatusCode,
    content_type: Option<HeaderValue>,
    body: Bytes,
}

impl Part {
    async fn answer(&self, shared: &Arc<Shared>) -> Reply {
        if !self.method.eq_ignore_ascii_case("GET") {
            return refused(&format!(
                "{} is not allowed: the service is read-only",
                self.method.to_ascii_uppercase()
            ))
            .await;
        }
        let (path, query) = self.url.split_once('?').unwrap_or((&self.url, ""));
        // A URL relative to the service root, or an absolute path.
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("{}/{path}", shared.catalog.path)
        };
        let response = read(
            Arc::clone(shared),
            path,
            query.to_owned(),
            "application/json".to_owned(),
        )
        .await;
        reply(response).await
    }
}

async fn refused(message: &str) -> Reply {
    reply(ODataError::new(StatusCode::METHOD_NOT_ALLOWED, message).into_response()).await
}

async fn reply(response: Response) -> Reply {
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
    // Answers are already in memory: reading them back cannot fail.
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    Reply {
        status,
        content_type,
        body,
    }
}

#[derive(Deserialize)]
struct JsonBatch {
    requests: Vec<JsonRequest>,
}

#[derive(Deserialize)]
struct JsonRequest {
    id: Option<Value>,
    method: String,
    url: String,
}

async fn json_batch(shared: &Arc<Shared>, body: &[u8]) -> Result<Response, ODataError> {
    let batch: JsonBatch = serde_json::from_slice(body).map_err(|e| {
        ODataError::bad_request(format!(
            "the $batch body is not a JSON batch (`{{\"requests\": [{{\"id\", \"method\", \"url\"}}]}}`): {e}"
        ))
    })?;
    too_many(batch.requests.len())?;
    let mut responses = Vec::with_capacity(batch.requests.len());
    for request in batch.requests {
        let part = Part {
            method: request.method,
            url: request.url,
        };
        let reply = part.answer(shared).await;
        let content_type = reply
            .content_type
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = if content_type.starts_with("application/json") {
            serde_json::from_slice(&reply.body).unwrap_or(Value::Null)
        } else {
            Value::String(String::from_utf8_lossy(&reply.body).into_owned())
        };
        responses.push(json!({
            "id": request.id,
            "status": reply.status.as_u16(),
            "headers": {"odata-version": "4.0", "content-type": content_type},
            "body": body,
        }));
    }
    let mut response = json!({ "responses": responses })
        .to_string()
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
        .headers_mut()
        .insert("OData-Version", HeaderValue::from_static("4.0"));
    Ok(response)
}

fn too_many(parts: usize) -> Result<(), ODataError> {
    if parts > MAX_PARTS {
        return Err(ODataError::bad_request(format!(
            "a $batch may hold at most {MAX_PARTS} requests, this one holds {parts}; split it"
        )));
    }
    Ok(())
}

/// One multipart part: a request, or a change set (which would write).
enum Item {
    Request(Part),
    ChangeSet { content_id: Option<String> },
}

async fn multipart_batch(
    shared: &Arc<Shared>,
    body: &str,
    boundary: &str,
) -> Result<Response, ODataError> {
    let items = parse_multipart(body, boundary)?;
    too_many(items.len())?;
    let mut out = String::new();
    for item in &items {
        let (reply, content_id) = match item {
            Item::Request(part) => (part.answer(shared).await, None),
            Item::ChangeSet { content_id } => (
                refused("a change set writes, and the service is read-only").await,
                content_id.as_deref(),
            ),
        };
        write_part(&mut out, boundary, &reply, content_id);
        if reply.status.is_client_error() || reply.status.is_server_error() {
            break;
        }
    }
    out.push_str(&format!("--{boundary}--\r\n"));
    let mut response = out.into_response();
    let content_type = HeaderValue::from_str(&format!("multipart/mixed;boundary={boundary}"))
        .map_err(|_| ODataError::bad_request("the $batch boundary is not a valid header value"))?;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    response
        .headers_mut()
        .insert("OData-Version", HeaderValue::from_static("4.0"));
    Ok(response)
}

fn write_part(out: &mut String, boundary: &str, reply: &Reply, content_id: Option<&str>) {
    out.push_str(&format!(
        "--{boundary}\r\ncontent-type: application/http\r\ncontent-transfer-encoding: binary\r\n"
    ));
    if let Some(id) = content_id {
        out.push_str(&format!("content-id: {id}\r\n"));
    }
    let reason = reply.status.canonical_reason().unwrap_or_default();
    out.push_str(&format!(
        "\r\nHTTP/1.1 {} {reason}\r\nodata-version: 4.0\r\n",
        reply.status.as_u16()
    ));
    if let Some(content_type) = reply.content_type.as_ref().and_then(|v| v.to_str().ok()) {
        out.push_str(&format!("content-type: {content_type}\r\n"));
    }
    let body = String::from_utf8_lossy(&reply.body);
    out.push_str(&format!("content-length: {}\r\n\r\n{body}\r\n", body.len()));
}

/// The `boundary` parameter of a multipart media type, unquoted.
fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty())
    })
}

/// The parts between `--boundary` lines, up to `--boundary--`.
fn split_parts<'a>(body: &'a str, boundary: &str) -> Result<Vec<&'a str>, ODataError> {
    let delimiter = format!("--{boundary}");
    let mut pieces = body.split(delimiter.as_str());
    pieces.next(); // the preamble
    let mut parts = Vec::new();
    for piece in pieces {
        if piece.starts_with("--") {
            return Ok(parts);
        }
        parts.push(
            piece
                .strip_prefix("\r\n")
                .or_else(|| piece.strip_prefix('\n'))
                .unwrap_or(piece),
        );
    }
    Err(ODataError::bad_request(format!(
        "the $batch body does not end with --{}--",
        super::filter::cut(boundary)
    )))
}

/// A part's headers (lower-case names) and what follows the blank line.
fn headers_and_content(part: &str) -> (Vec<(String, String)>, &str) {
    let (head, content) = part
        .split_once("\r\n\r\n")
        .or_else(|| part.split_once("\n\n"))
        .unwrap_or((part, ""));
    let headers = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    (headers, content)
}

fn parse_multipart(body: &str, boundary: &str) -> Result<Vec<Item>, ODataError> {
    split_parts(body, boundary)?
        .into_iter()
        .map(|part| {
            let (headers, content) = headers_and_content(part);
            let header = |name: &str| {
                headers
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.as_str())
            };
            let content_type = header("content-type").unwrap_or_default();
            if content_type
                .to_ascii_lowercase()
                .starts_with("multipart/mixed")
            {
                let inner = boundary_of(content_type)?;
                let first = split_parts(content, &inner)?.first().map(|p| {
                    headers_and_content(p)
                        .0
                        .into_iter()
                        .find(|(n, _)| n == "content-id")
                        .map(|(_, v)| v)
                });
                return Ok(Item::ChangeSet {
                    content_id: first.flatten(),
                });
            }
            let line = content.lines().next().unwrap_or_default();
            let mut words = line.split_whitespace();
            match (words.next(), words.next()) {
                (Some(method), Some(url)) => Ok(Item::Request(Part {
                    method: method.to_owned(),
                    url: url.to_owned(),
                })),
                _ => Err(ODataError::bad_request(format!(
                    "a $batch part has no request line (`GET Conversations HTTP/1.1`): `{}`",
                    super::filter::cut(line)
                ))),
            }
        })
        .collect()
}

fn boundary_of(content_type: &str) -> Result<String, ODataError> {
    boundary(content_type)
        .ok_or_else(|| ODataError::bad_request("a change set of the $batch names no boundary"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_and_change_sets_are_read() {
        let body = "--b\r\nContent-Type: application/http\r\n\r\nGET Conversations?$top=1 HTTP/1.1\r\nAccept: application/json\r\n\r\n\r\n\
                    --b\r\nContent-Type: multipart/mixed; boundary=cs\r\n\r\n--cs\r\nContent-Type: application/http\r\nContent-ID: 7\r\n\r\nPOST Conversations HTTP/1.1\r\n\r\n{}\r\n--cs--\r\n\r\n\
                    --b--\r\n";
        let items = parse_multipart(body, "b").unwrap();
        assert_eq!(items.len(), 2);
        assert!(
            matches!(&items[0], Item::Request(p) if p.method == "GET" && p.url == "Conversations?$top=1")
        );
        assert!(matches!(&items[1], Item::ChangeSet { content_id: Some(id) } if id == "7"));
    }

    #[test]
    fn a_body_without_its_closing_delimiter_is_refused() {
        assert!(parse_multipart("--b\r\n\r\nGET x HTTP/1.1\r\n", "b").is_err());
        assert!(parse_multipart("--b\r\n\r\n\r\n--b--", "b").is_err());
    }

    #[test]
    fn boundaries_are_found_quoted_or_not() {
        assert_eq!(
            boundary("multipart/mixed; boundary=b1").as_deref(),
            Some("b1")
        );
        assert_eq!(
            boundary("multipart/mixed;boundary=\"x y\"").as_deref(),
            Some("x y")
        );
        assert_eq!(boundary("multipart/mixed"), None);
    }
}
