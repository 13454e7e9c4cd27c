//! Malformed responses from a raw TCP peer: each case ends, within its
//! bound, in a typed error or a correct response, and the same session
//! then gets a good answer from the same origin.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clientsession::{Error, Session};

use crate::common::{figures, scenario};
use crate::peer::{OK, Peer};
use crate::support::{QUICK, bounded};

/// What the peer does after writing a case's bytes.
#[derive(Clone, Copy, Debug)]
enum Then {
    /// Closes the connection.
    Close,
    /// Resets it (RST).
    Reset,
    /// Keeps serving the connection with good answers.
    KeepServing,
}

/// One malformed answer.
struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    then: Then,
    /// The body a correct response has, if accepting it is correct;
    /// `None`: only an error is correct.
    accept: Option<&'static [u8]>,
}

fn case(
    name: &'static str,
    bytes: impl Into<Vec<u8>>,
    then: Then,
    accept: Option<&'static [u8]>,
) -> Case {
    Case {
        name,
        bytes: bytes.into(),
        then,
        accept,
    }
}

fn cases() -> Vec<Case> {
    use Then::*;
    let many_headers: String = (0..10_000).map(|i| format!("x-h{i}: v\r\n")).collect();
    let big_header = format!("x-big: {}\r\n", "a".repeat(100 << 10));
    let continues = "HTTP/1.1 100 Continue\r\n\r\n".repeat(10_000);
    let head = |extra: &str| format!("HTTP/1.1 200 OK\r\n{extra}\r\n");
    vec![
        case(
            "status not a number",
            "HTTP/1.1 abc OK\r\nContent-Length: 2\r\n\r\nok",
            Close,
            None,
        ),
        case(
            "status 4 digits",
            "HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok",
            Close,
            None,
        ),
        case(
            "not HTTP",
            "HTTX/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            Close,
            None,
        ),
        case(
            "binary garbage",
            (0..=255u8).cycle().take(4096).collect::<Vec<u8>>(),
            Close,
            None,
        ),
        case("HTTP/0.9 reply", "hello, world\n", Close, None),
        case("empty reply", "", Close, None),
        case(
            "head cut short",
            "HTTP/1.1 200 OK\r\nContent-Le",
            Close,
            None,
        ),
        case(
            "10,000 headers",
            head(&format!("{many_headers}Content-Length: 2\r\n")) + "ok",
            Close,
            Some(b"ok"),
        ),
        case(
            "100 KB header",
            head(&format!("{big_header}Content-Length: 2\r\n")) + "ok",
            Close,
            Some(b"ok"),
        ),
        case(
            "header without colon",
            head("x-bad header\r\nContent-Length: 2\r\n") + "ok",
            Close,
            Some(b"ok"),
        ),
        case(
            "NUL in a header value",
            head("x-nul: a\0b\r\nContent-Length: 2\r\n") + "ok",
            Close,
            Some(b"ok"),
        ),
        case(
            "bad chunk size",
            head("Transfer-Encoding: chunked\r\n") + "zz\r\nok\r\n0\r\n\r\n",
            Close,
            None,
        ),
        case(
            "chunk size overflow",
            head("Transfer-Encoding: chunked\r\n") + "fffffffffffffffffff\r\nok\r\n",
            Close,
            None,
        ),
        case(
            "chunk longer than its size",
            head("Transfer-Encoding: chunked\r\n") + "2\r\nokay\r\n0\r\n\r\n",
            Close,
            None,
        ),
        case(
            "chunked, no last chunk",
            head("Transfer-Encoding: chunked\r\n") + "2\r\nok\r\n",
            Close,
            None,
        ),
        case(
            "CL and TE both",
            head("Content-Length: 100\r\nTransfer-Encoding: chunked\r\n") + "2\r\nok\r\n0\r\n\r\n",
            Close,
            Some(b"ok"),
        ),
        case(
            "two different CLs",
            head("Content-Length: 2\r\nContent-Length: 5\r\n") + "ok",
            Close,
            None,
        ),
        case(
            "negative CL",
            head("Content-Length: -2\r\n") + "ok",
            Close,
            None,
        ),
        case(
            "huge CL",
            head("Content-Length: 99999999999999999999999\r\n") + "ok",
            Close,
            None,
        ),
        case(
            "body shorter than CL",
            head("Content-Length: 100\r\n") + "ok",
            Close,
            None,
        ),
        case(
            "body longer than CL",
            head("Content-Length: 2\r\n") + "okEXTRA-BYTES",
            KeepServing,
            Some(b"ok"),
        ),
        case(
            "RST mid-body",
            head("Content-Length: 100\r\n") + "0123456789",
            Reset,
            None,
        ),
        case(
            "10,000 x 100 Continue",
            continues + &head("Content-Length: 2\r\n") + "ok",
            Close,
            Some(b"ok"),
        ),
        case(
            "LF-only line ends",
            "HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
            Close,
            Some(b"ok"),
        ),
    ]
}

/// A peer whose first answer, over all connections, is `case`; every
/// later request gets `200 ok` on a kept-alive connection.
fn peer_for(case: &Case) -> Peer {
    let (bytes, then) = (Arc::new(case.bytes.clone()), case.then);
    let first = Arc::new(AtomicBool::new(true));
    Peer::new(move |mut conn| {
        let (bytes, first) = (bytes.clone(), first.clone());
        async move {
            while conn.request().await.is_some() {
                if !first.swap(false, Ordering::SeqCst) {
                    if conn.write(OK).await.is_err() {
                        return;
                    }
                    continue;
                }
                let _ = conn.write(&bytes).await;
                match then {
                    Then::Close => return,
                    Then::Reset => return conn.reset(),
                    Then::KeepServing => {}
                }
            }
        }
    })
}

/// Every case but one, one peer each; a follow-up request to the same
/// origin on the same session after each.
#[test]
fn malformed_responses_end_in_a_typed_error_or_a_correct_response() {
    scenario(|| run("malformed responses", cases()));
}

/// A `101 Switching Protocols` to a request that asked for no upgrade
/// (RFC 9110 15.2.2: a server must not send it) must be an error; the
/// client hands it out as a response with status 101 and an empty body,
/// and the bytes after it are lost.
#[test]
fn unrequested_101_is_an_error() {
    let case = case(
        "101 without upgrade",
        "HTTP/1.1 101 Switching Protocols\r\n\r\nok",
        Then::Close,
        None,
    );
    scenario(|| run("malformed 101", vec![case]));
}

/// Runs `cases`, one peer each, with a follow-up request to the same
/// origin on the same session after each, and prints the figures.
async fn run(label: &str, cases: Vec<Case>) {
    let session = Session::builder()
        .read_timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(2))
        .build()
        .await
        .unwrap();
    let started = Instant::now();
    let (mut errors, mut accepted, mut problems) = (0, 0, Vec::new());
    for case in &cases {
        let peer = peer_for(case);
        let url = peer.url("/");
        let got = bounded(QUICK + QUICK, async {
            let response = session.get(&url).send().await?;
            let status = response.status();
            Ok::<_, Error>((status, response.bytes().await?))
        })
        .await;
        match (&got, case.accept) {
            (Ok((_, body)), Some(good)) if body[..] == good[..] => accepted += 1,
            (Err(e), _) if typed(e) => errors += 1,
            _ => problems.push(format!("{}: {got:?}", case.name)),
        }
        let follow_up = bounded(QUICK, async {
            session.get(&url).send().await?.text().await
        })
        .await;
        if follow_up.as_deref().ok() != Some("ok") {
            problems.push(format!("{}: the follow-up got {follow_up:?}", case.name));
        }
    }
    let stats = session.stats();
    bounded(QUICK, session.close()).await;
    let follow_ups_failed = problems.iter().filter(|p| p.contains("follow-up")).count();
    figures(format_args!(
        "{label}: {} cases, {errors} typed errors, {accepted} correct responses, {} problems, \
         follow-ups ok {}/{}, in_use {}, {:.1} s",
        cases.len(),
        problems.len(),
        cases.len() - follow_ups_failed,
        cases.len(),
        stats.in_use,
        started.elapsed().as_secs_f64(),
    ));
    assert!(problems.is_empty(), "{problems:#?}");
}

/// An error a caller can act on: one of the transport variants, or a
/// timeout; never a catch-all.
fn typed(e: &Error) -> bool {
    matches!(
        e,
        Error::Request { .. } | Error::Body { .. } | Error::Timeout(_)
    )
}
