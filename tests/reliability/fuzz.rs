//! Bad input fuzz: random and mutated URLs, base URLs, header names and
//! values (CR/LF, NUL, non-ASCII, huge) and methods. No case panics, and
//! every failure is a typed `Error` of the kinds bad input or a loopback
//! peer can cause. Cases whose URL resolves anywhere but the loopback test
//! server are not sent (they are counted as skipped), so the fuzz never
//! talks to anything else.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clientsession::{Method, Session, Url};
use futures::FutureExt;
use http::StatusCode;

use crate::common::{Rng, figures, scaled, scenario, seed};
use crate::support::TestServer;
use crate::support::server::text;

/// One generated case.
#[derive(Debug, Clone)]
struct Case {
    method: Method,
    base: Option<String>,
    url: String,
    headers: Vec<(String, Vec<u8>)>,
}

/// Characters the mutations insert: URL delimiters, controls, non-ASCII.
const ODD: &[char] = &[
    '\r', '\n', '\0', '\t', ' ', '%', '@', ':', '/', '?', '#', '[', ']', '\\', '.', 'é',
    '\u{202e}', '\u{7f}', '😀', 'a', '0', '~', '"', '<',
];

fn mutate(rng: &mut Rng, seed: &str) -> String {
    let mut s: Vec<char> = seed.chars().collect();
    for _ in 0..rng.below(4) {
        let at = rng.below(s.len() as u64 + 1) as usize;
        match rng.below(6) {
            0 | 1 => s.insert(at, ODD[rng.below(ODD.len() as u64) as usize]),
            2 if at < s.len() => {
                s.remove(at);
            }
            3 => s.truncate(at),
            4 => s.extend(std::iter::repeat_n('a', 1 << rng.below(17))),
            _ => {
                let piece: Vec<char> = s[at..].iter().take(8).copied().collect();
                s.splice(at..at, piece);
            }
        }
    }
    s.into_iter().collect()
}

fn pick<'a>(rng: &mut Rng, from: &[&'a str]) -> &'a str {
    from[rng.below(from.len() as u64) as usize]
}

fn generate(rng: &mut Rng, port: u16) -> Case {
    let origin = format!("http://127.0.0.1:{port}");
    let urls = [
        format!("{origin}/"),
        format!("{origin}/a/b?q=1&r=%20#frag"),
        format!("https://127.0.0.1:{port}/"),
        format!("http://user:pw@127.0.0.1:{port}/x"),
        format!("HTTP://127.0.0.1:{port}/%zz"),
        "ftp://127.0.0.1/".into(),
        "/relative?x=1".into(),
        "relative".into(),
        "".into(),
        "http://[::1".into(),
        "?only=query".into(),
        "//127.0.0.1/x".into(),
    ];
    let url_seed = &urls[rng.below(urls.len() as u64) as usize];
    let url = mutate(rng, url_seed);
    let base = rng.chance(40).then(|| {
        let bases = [
            format!("{origin}/"),
            format!("{origin}/v1"),
            format!("{origin}/v1?x#y"),
        ];
        let others = ["not a url", "mailto:x@y", "http://", "/v1"];
        let seed = if rng.chance(80) {
            bases[rng.below(3) as usize].clone()
        } else {
            pick(rng, &others).to_owned()
        };
        mutate(rng, &seed)
    });
    let methods = [
        "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE", "M-SEARCH", "PURGE",
    ];
    let method = if rng.chance(10) {
        let token: String = (0..1 + rng.below(300))
            .map(|_| pick(rng, &["A", "z", "-", "!", "~", "9", "_"]))
            .collect();
        Method::from_bytes(token.as_bytes()).expect("tchars make a method")
    } else {
        Method::from_bytes(pick(rng, &methods).as_bytes()).expect("a method")
    };
    let names = [
        "x-a",
        "content-type",
        "host",
        "accept",
        "",
        "x y",
        "x:y",
        "ü",
        "x\r\ninjected",
        "x\0",
        "user-agent",
    ];
    let values: [&[u8]; 7] = [
        b"v",
        b"",
        b"a\r\ninjected: 1",
        b"\0",
        "é".as_bytes(),
        b"\x7f\xff",
        b" padded ",
    ];
    let headers = (0..rng.below(4))
        .map(|_| {
            let name = pick(rng, &names);
            let name = mutate(rng, name);
            let mut value = values[rng.below(values.len() as u64) as usize].to_vec();
            if rng.chance(3) {
                value.extend(std::iter::repeat_n(b'v', 100 << 10));
            }
            if rng.chance(30) && !value.is_empty() {
                let at = rng.below(value.len() as u64) as usize;
                value[at] = rng.below(256) as u8;
            }
            (name, value)
        })
        .collect();
    Case {
        method,
        base,
        url,
        headers,
    }
}

/// Where the client will send `case`, as far as it can be worked out the
/// way the client does (`src/url.rs`: absolute URLs as they are; relative
/// ones appended to the base URL's path). `None`: it fails before sending.
fn destination(case: &Case) -> Option<Url> {
    match Url::parse(&case.url) {
        Ok(url) => Some(url),
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            let base = Url::parse(case.base.as_deref()?).ok()?;
            let mut joined = base[..url::Position::AfterPath].to_owned();
            let rel = &case.url;
            if rel.is_empty() || rel.starts_with('?') || rel.starts_with('#') {
                joined.push_str(rel);
            } else {
                if !joined.ends_with('/') {
                    joined.push('/');
                }
                joined.push_str(rel.trim_start_matches('/'));
            }
            Url::parse(&joined).ok()
        }
        Err(_) => None,
    }
}

/// Whether `url` is the test server (or fails before sending anyway).
fn on_target(case: &Case, port: u16) -> bool {
    let base_ok = case.base.as_deref().is_none_or(|b| {
        Url::parse(b).is_err()
            || Url::parse(b).is_ok_and(|u| {
                u.host_str() == Some("127.0.0.1") && u.port_or_known_default() == Some(port)
            })
    });
    base_ok
        && destination(case).is_none_or(|u| {
            !matches!(u.scheme(), "http" | "https")
                || (u.host_str() == Some("127.0.0.1") && u.port_or_known_default() == Some(port))
        })
}

/// Runs one case; the outcome's name: `ok <status>` or the error variant.
async fn run(case: Case, shared: &Session) -> String {
    let session = match &case.base {
        None => shared.clone(),
        Some(base) => match Session::builder().base_url(base).build().await {
            Ok(session) => session,
            Err(e) => return format!("build {}", variant(&e)),
        },
    };
    let mut request = session.request(case.method.clone(), &case.url);
    for (name, value) in &case.headers {
        request = request.header(name.as_str(), value.clone());
    }
    let outcome = async { request.timeout(Duration::from_secs(1)).send().await }.await;
    match outcome {
        Ok(response) => {
            let status = response.status();
            match response.bytes().await {
                Ok(_) => format!("ok {}", status.as_u16()),
                Err(e) => variant(&e),
            }
        }
        Err(e) => variant(&e),
    }
}

/// The variant's name, from its `Debug` form.
fn variant(e: &clientsession::Error) -> String {
    format!("{e:?}")
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

/// Outcomes a bad input may have. `Request`: the test server refused a
/// head (a huge header); `Connect`/`Tls`: an https:// case against the
/// plain-HTTP test server; `Timeout`: a method such as CONNECT or a
/// `Content-Length` the server waits on.
const TYPED: &[&str] = &[
    "InvalidUrl",
    "InvalidHeader",
    "Request",
    "Connect",
    "Tls",
    "Timeout",
    "Body",
];

/// 200,000 cases at full scale, 16 at a time, against a server that
/// answers `500` if a smuggled header reached it.
#[test]
fn bad_input_never_panics_and_fails_typed() {
    scenario(|| async {
        let seed = seed(0xf022_0013);
        let server = TestServer::new(|req| async move {
            let smuggled = req
                .headers()
                .keys()
                .any(|n| n.as_str().contains("injected"));
            match smuggled {
                true => text(StatusCode::INTERNAL_SERVER_ERROR, "smuggled"),
                false => text(StatusCode::OK, "ok"),
            }
        });
        let port = server.addr().port();
        let session = Session::new().unwrap();
        let cases = scaled(200_000, 2_000);
        let panics = Arc::new(AtomicU64::new(0));
        let previous_hook = std::panic::take_hook();
        {
            let panics = panics.clone();
            std::panic::set_hook(Box::new(move |info| {
                panics.fetch_add(1, Ordering::SeqCst);
                eprintln!("fuzz: panic: {info}");
            }));
        }
        let started = Instant::now();
        let next = Arc::new(AtomicU64::new(0));
        let tally = Arc::new(Mutex::new(BTreeMap::<String, u64>::new()));
        let problems = Arc::new(Mutex::new(Vec::<String>::new()));
        let workers: Vec<_> = (0..16)
            .map(|_| {
                let (session, next) = (session.clone(), next.clone());
                let (tally, problems) = (tally.clone(), problems.clone());
                tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= cases {
                            return;
                        }
                        let mut rng = Rng::new(seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
                        let case = generate(&mut rng, port);
                        if !on_target(&case, port) {
                            *tally.lock().unwrap().entry("skipped".into()).or_default() += 1;
                            continue;
                        }
                        let ran = AssertUnwindSafe(run(case.clone(), &session)).catch_unwind();
                        let outcome = match tokio::time::timeout(Duration::from_secs(5), ran).await
                        {
                            Ok(Ok(outcome)) => outcome,
                            Ok(Err(_)) => "PANIC".to_owned(),
                            Err(_) => "HUNG".to_owned(),
                        };
                        let fine = outcome.starts_with("ok 200")
                            || outcome.starts_with("ok 4")
                            || TYPED
                                .iter()
                                .any(|t| outcome.trim_start_matches("build ") == *t);
                        if !fine {
                            let mut shown = format!("case {i}: {outcome}: {case:?}");
                            shown.truncate(600);
                            problems.lock().unwrap().push(shown);
                        }
                        *tally.lock().unwrap().entry(outcome).or_default() += 1;
                    }
                })
            })
            .collect();
        for worker in workers {
            let _ = worker.await;
        }
        std::panic::set_hook(previous_hook);
        session.close().await;
        let tally = tally.lock().unwrap().clone();
        let problems = problems.lock().unwrap().clone();
        let panics = panics.load(Ordering::SeqCst);
        let summary: Vec<String> = tally.iter().map(|(k, v)| format!("{k} {v}")).collect();
        figures(format_args!(
            "bad input fuzz (seed {seed:#x}, RELIABILITY_SEED to replay): {cases} cases, {panics} \
             panics, {} problems; {}; {:.1} s",
            problems.len(),
            summary.join(", "),
            started.elapsed().as_secs_f64(),
        ));
        assert_eq!(panics, 0, "panics (see stderr); problems: {problems:#?}");
        assert!(
            problems.is_empty(),
            "{} problems, the first: {:#?}",
            problems.len(),
            &problems[..problems.len().min(10)]
        );
    });
}
