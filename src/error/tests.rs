//! Unit tests of the error type: messages, predicates, size.

use super::*;

#[test]
fn error_is_send_sync_and_small() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Error>();
    assert!(
        std::mem::size_of::<Error>() <= 64,
        "{}",
        std::mem::size_of::<Error>()
    );
}

#[test]
fn no_runtime_message_names_the_fixes() {
    let msg = Error::NoRuntime.to_string();
    assert!(msg.contains("no Tokio runtime"), "{msg}");
    assert!(msg.contains("#[tokio::main]"), "{msg}");
    assert!(msg.contains("Session::scoped"), "{msg}");
}

#[test]
fn timeout_predicates() {
    assert!(Error::Timeout(TimeoutKind::Read).is_timeout());
    assert!(Error::Timeout(TimeoutKind::Connect).is_connect());
    assert!(!Error::Closed.is_timeout());
    let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "slow");
    assert!(body(io).is_timeout());
}

#[test]
fn tls_errors_are_connect_errors_naming_the_host() {
    let err = Error::Tls {
        host: "example.com".into(),
        reason: "the certificate has expired".into(),
        source: "expired".into(),
    };
    assert!(err.is_connect());
    assert_eq!(
        err.to_string(),
        "TLS handshake with example.com failed: the certificate has expired"
    );
}

#[test]
fn messages_are_lowercase_without_trailing_period() {
    let errors = [
        Error::NoRuntime,
        Error::RuntimeShutdown,
        Error::WrongRuntime,
        Error::Closed,
        Error::BodyTooLarge { limit: 1 },
        Error::Timeout(TimeoutKind::Total),
        // `Error::Tls` starts with the acronym "TLS", which keeps its
        // case; `tls_errors_are_connect_errors_naming_the_host` pins it.
        Error::InvalidCertificate {
            reason: "no certificate found".into(),
            source: None,
        },
    ];
    for e in errors {
        let msg = e.to_string();
        assert!(!msg.ends_with('.'), "{msg}");
        let first = msg.chars().next().unwrap_or('x');
        assert!(!first.is_uppercase(), "{msg}");
    }
}

#[cfg(any(feature = "json", feature = "multipart"))]
#[test]
fn body_error_messages_are_lowercase_and_say_where() {
    let err = invalid_body("could not serialize the value as JSON", None);
    assert_eq!(
        err.to_string(),
        "invalid request body: could not serialize the value as JSON"
    );
    #[cfg(feature = "json")]
    {
        let bad = serde_json::from_slice::<serde_json::Value>(b"{\n  \"a\": tru }")
            .expect_err("not JSON");
        let msg = decode(bad).to_string();
        assert_eq!(
            msg,
            "could not decode the response body as JSON at line 2 column 11"
        );
    }
}

#[test]
fn runtime_messages_name_the_background_session() {
    for err in [
        Error::RuntimeShutdown,
        Error::WrongRuntime,
        Error::NoRuntime,
    ] {
        let msg = err.to_string();
        assert!(msg.contains("Session::background()"), "{msg}");
    }
    let msg = Error::NoRuntime.to_string();
    assert!(msg.contains("blocking"), "{msg}");
    let msg = Error::BlockingInAsync.to_string();
    assert!(msg.contains("spawn_blocking"), "{msg}");
}
