//! Fault injection: the failures a CAI client must survive, each drawn per log request.

use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream;
use serde::Serialize;

/// A kind of failure the mock injects into `GET /logs/v2/conversations`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// `rate-limit`: 429 with `Retry-After` and a JSON error.
    RateLimit,
    /// `server-error`: 500 or 503 with a JSON error, or 502 with an HTML page (as a
    /// gateway in front of CAI answers).
    ServerError,
    /// `reset`: a 200 whose body stops midway and whose connection is dropped.
    Reset,
    /// `truncate`: a clean 200 whose JSON body is cut short (Content-Length matches
    /// the cut body, so only the JSON parser notices).
    Truncate,
    /// `slow`: the answer comes after [`MockConfig::slow`](super::MockConfig::slow),
    /// longer than a client's read timeout.
    Slow,
    /// `token-expiry`: the bearer token presented expires now; the request gets 401
    /// `invalid_token` and the client must fetch a new token.
    TokenExpiry,
}

impl FaultKind {
    /// Every kind, in the order faults are reported.
    pub const ALL: [FaultKind; 6] = [
        FaultKind::RateLimit,
        FaultKind::ServerError,
        FaultKind::Reset,
        FaultKind::Truncate,
        FaultKind::Slow,
        FaultKind::TokenExpiry,
    ];

    /// The kind's name on the command line and in statistics (`rate-limit`, …).
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::RateLimit => "rate-limit",
            FaultKind::ServerError => "server-error",
            FaultKind::Reset => "reset",
            FaultKind::Truncate => "truncate",
            FaultKind::Slow => "slow",
            FaultKind::TokenExpiry => "token-expiry",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FaultKind {
    type Err = FaultParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FaultKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| FaultParseError::UnknownKind(s.to_owned()))
    }
}

/// A fault and the probability it hits a log request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fault {
    /// What goes wrong.
    pub kind: FaultKind,
    /// Probability per log request, from 0 to 1.
    pub rate: f64,
}

impl Fault {
    /// The rate of a fault given without one (`--fault reset`).
    pub const DEFAULT_RATE: f64 = 0.1;
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.rate)
    }
}

/// Parses `KIND` or `KIND:RATE`, e.g. `reset:0.2` or `rate-limit` (rate
/// [`Fault::DEFAULT_RATE`]).
impl FromStr for Fault {
    type Err = FaultParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, rate) = match s.split_once(':') {
            Some((kind, rate)) => {
                let parsed: f64 = rate
                    .trim()
                    .parse()
                    .map_err(|_| FaultParseError::BadRate(rate.to_owned()))?;
                if !(0.0..=1.0).contains(&parsed) {
                    return Err(FaultParseError::BadRate(rate.to_owned()));
                }
                (kind, parsed)
            }
            None => (s, Fault::DEFAULT_RATE),
        };
        Ok(Fault {
            kind: kind.trim().parse()?,
            rate,
        })
    }
}

/// Why a `--fault` value was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FaultParseError {
    /// The kind is not one of [`FaultKind::ALL`].
    #[error(
        "unknown fault kind `{0}`; valid kinds: rate-limit, server-error, reset, truncate, \
         slow, token-expiry"
    )]
    UnknownKind(String),
    /// The rate is not a number from 0 to 1.
    #[error(
        "fault rate `{0}` is not a number from 0 to 1 (write KIND or KIND:RATE, e.g. reset:0.2)"
    )]
    BadRate(String),
}

/// The randomness of faults: which request suffers which fault, and how. Seeded, a
/// run's faults repeat exactly (requests arrive in order when one client syncs);
/// unseeded, every run differs. Apart from the data generator's streams, so the
/// dataset stays independent of the traffic.
pub(crate) struct Dice(Mutex<fastrand::Rng>);

impl Dice {
    pub(crate) fn new(seed: Option<u64>) -> Dice {
        Dice(Mutex::new(
            seed.map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed),
        ))
    }

    fn rng(&self) -> std::sync::MutexGuard<'_, fastrand::Rng> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Draws the fault for one log request: each configured fault in turn with its
    /// rate, the first hit wins, so a request suffers at most one fault.
    pub(crate) fn draw(&self, faults: &[Fault]) -> Option<FaultKind> {
        let mut rng = self.rng();
        faults
            .iter()
            .find(|f| f.rate > 0.0 && rng.f64() < f.rate)
            .map(|f| f.kind)
    }

    /// Where to cut a body of `len` bytes: anywhere strictly inside it, so what
    /// remains is never the whole JSON document (a compact JSON object missing its
    /// tail never parses).
    fn cut_point(&self, len: usize) -> usize {
        if len < 2 {
            0
        } else {
            self.rng().usize(1..len)
        }
    }
}

/// A JSON error body in the spec's `ErrorResponse` shape.
pub(crate) fn error_body(message: &str) -> serde_json::Value {
    serde_json::json!({ "results": null, "message": message })
}

/// 429 Too Many Requests with `Retry-After`.
pub(crate) fn rate_limited(retry_after: u64) -> Response {
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(error_body("Too many requests, retry later")),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    response
}

/// One of 500, 502 (HTML, as from a gateway) or 503.
pub(crate) fn server_error(dice: &Dice) -> Response {
    let kind = dice.rng().u8(0..3);
    match kind {
        0 => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(error_body("Internal server error")),
        )
            .into_response(),
        1 => (
            StatusCode::BAD_GATEWAY,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<html><head><title>502 Bad Gateway</title></head>\
             <body><h1>502 Bad Gateway</h1></body></html>",
        )
            .into_response(),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(error_body("Service temporarily unavailable")),
        )
            .into_response(),
    }
}

/// A 200 that announces the whole body but sends only part of it, then fails the body
/// stream: hyper cannot finish the message, so it drops the connection and the client
/// sees a reset in the middle of the body.
pub(crate) fn reset(body: Bytes, dice: &Dice) -> Response {
    let cut = dice.cut_point(body.len());
    let head = body.slice(..cut);
    let total = body.len();
    let parts = stream::unfold(0u8, move |step| {
        let head = head.clone();
        async move {
            match step {
                0 => Some((Ok::<Bytes, std::io::Error>(head), 1)),
                1 => {
                    // Give hyper time to write the first part, so the client really
                    // receives bytes before the connection goes.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    let error = std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "mock fault: connection reset mid-body",
                    );
                    Some((Err(error), 2))
                }
                _ => None,
            }
        }
    });
    let mut response = Response::new(Body::from_stream(parts));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(total));
    response
}

/// A 200 with the JSON body cut short; its Content-Length is the cut length.
pub(crate) fn truncate(body: Bytes, dice: &Dice) -> Response {
    let cut = dice.cut_point(body.len());
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.slice(..cut),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kinds_and_rates() {
        assert_eq!(
            "reset:0.2".parse(),
            Ok(Fault {
                kind: FaultKind::Reset,
                rate: 0.2
            })
        );
        assert_eq!(
            "rate-limit".parse(),
            Ok(Fault {
                kind: FaultKind::RateLimit,
                rate: Fault::DEFAULT_RATE
            })
        );
        for kind in FaultKind::ALL {
            assert_eq!(kind.name().parse(), Ok(kind));
            assert_eq!(format!("{kind}:1").parse(), Ok(Fault { kind, rate: 1.0 }));
        }
        let err = "boom:0.1".parse::<Fault>().unwrap_err().to_string();
        assert!(
            err.contains("boom") && err.contains("token-expiry"),
            "{err}"
        );
        assert!(matches!(
            "slow:2".parse::<Fault>(),
            Err(FaultParseError::BadRate(_))
        ));
        assert!(matches!(
            "slow:x".parse::<Fault>(),
            Err(FaultParseError::BadRate(_))
        ));
    }

    #[test]
    fn draw_respects_rates() {
        let dice = Dice::new(None);
        assert_eq!(dice.draw(&[]), None);
        let never = Fault {
            kind: FaultKind::Slow,
            rate: 0.0,
        };
        let always = Fault {
            kind: FaultKind::Reset,
            rate: 1.0,
        };
        assert_eq!(dice.draw(&[never, always]), Some(FaultKind::Reset));
        assert_eq!(dice.draw(&[never]), None);
    }

    #[test]
    fn seeded_dice_repeat_their_faults() {
        let half = [Fault {
            kind: FaultKind::Reset,
            rate: 0.5,
        }];
        let run = |dice: Dice| -> Vec<_> { (0..64).map(|_| dice.draw(&half)).collect() };
        assert_eq!(run(Dice::new(Some(7))), run(Dice::new(Some(7))));
    }
}
