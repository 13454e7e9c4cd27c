//! `tracing` instrumentation, seen through a small recording subscriber: a
//! `request` span per request with its fields, and events when connections
//! open and close.
//!
//! The subscriber is installed with `set_default`, so it only sees this
//! thread: the tests run on a current-thread runtime, where the session's
//! home (connects, connection tasks) is the same thread.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use clientsession::Session;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

use crate::support::{Observed, QUICK, TestServer, bounded};

/// Field values as text: strings as they are, everything else as `Debug`.
type Fields = BTreeMap<String, String>;

/// One span as recorded: its name and its fields, including those
/// recorded after it was created.
#[derive(Debug, Clone)]
struct SpanRecord {
    name: &'static str,
    fields: Fields,
}

/// Everything the subscriber saw.
#[derive(Debug, Default)]
struct Seen {
    /// Spans by id (ids are never reused here).
    spans: BTreeMap<u64, SpanRecord>,
    /// Events in order, with their `message` as a field.
    events: Vec<Fields>,
}

/// A subscriber that records every span and event, at every level.
#[derive(Debug, Clone, Default)]
struct Recorder {
    seen: Arc<Mutex<Seen>>,
    next_id: Arc<AtomicU64>,
}

impl Recorder {
    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().expect("no panic while recording")
    }

    /// The spans named `name`, in creation order.
    fn spans(&self, name: &str) -> Vec<SpanRecord> {
        self.seen()
            .spans
            .values()
            .filter(|s| s.name == name)
            .cloned()
            .collect()
    }

    /// The events whose message is `message`.
    fn events(&self, message: &str) -> Vec<Fields> {
        self.seen()
            .events
            .iter()
            .filter(|e| e.get("message").is_some_and(|m| m == message))
            .cloned()
            .collect()
    }
}

struct Collect<'a>(&'a mut Fields);

impl Visit for Collect<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut fields = Fields::new();
        attrs.record(&mut Collect(&mut fields));
        let name = attrs.metadata().name();
        self.seen().spans.insert(id, SpanRecord { name, fields });
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        if let Some(span) = self.seen().spans.get_mut(&span.into_u64()) {
            values.record(&mut Collect(&mut span.fields));
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::new();
        event.record(&mut Collect(&mut fields));
        self.seen().events.push(fields);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// A request emits a `request` span with its method and its URL without
/// the query string, and records the status and whether the connection
/// was reused.
#[tokio::test]
async fn request_emits_span_with_method_url_and_status() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let server = TestServer::hello();
    let session = Session::builder().build().await.unwrap();
    for _ in 0..2 {
        let resp = bounded(QUICK, session.get(server.url("/path?secret=1")).send())
            .await
            .unwrap();
        bounded(QUICK, resp.text()).await.unwrap();
    }

    let spans = recorder.spans("request");
    assert_eq!(spans.len(), 2, "{spans:?}");
    let url = server.url("/path");
    for (i, span) in spans.iter().enumerate() {
        let field = |name: &str| span.fields.get(name).map(String::as_str);
        assert_eq!(field("method"), Some("GET"), "{span:?}");
        assert_eq!(field("url"), Some(url.as_str()), "{span:?}");
        assert_eq!(field("status"), Some("200"), "{span:?}");
        let reused = if i == 0 { "false" } else { "true" };
        assert_eq!(field("reused"), Some(reused), "{span:?}");
        assert!(field("elapsed_ms").is_some(), "{span:?}");
    }
}

/// Opening a connection emits a `connection opened` event naming the peer,
/// and closing the session emits `connection closed`.
#[tokio::test]
async fn connection_open_and_close_emit_events() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let server = TestServer::hello();
    let session = Session::builder().build().await.unwrap();
    let resp = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    bounded(QUICK, resp.text()).await.unwrap();

    let opened = recorder.events("connection opened");
    assert_eq!(opened.len(), 1, "{opened:?}");
    let peer = server.addr().to_string();
    assert_eq!(opened[0].get("peer"), Some(&peer), "{opened:?}");

    bounded(QUICK, session.close()).await;
    server.wait_open(0, QUICK).await;
    let closed = recorder.events("connection closed");
    assert_eq!(closed.len(), 1, "{closed:?}");
    assert_eq!(closed[0].get("peer"), Some(&peer), "{closed:?}");
}
