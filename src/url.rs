//! Request URLs: parsing, the supported schemes, and joining onto a base URL.
//!
//! The rules (DESIGN.md, "URL rules"): an absolute request URL is used as
//! is; a relative one is appended to the base URL's path, whether or not it
//! starts with `/`, and keeps its query string; a relative URL without a base
//! is an error that names the URL.

use std::cell::RefCell;

use http::{HeaderValue, Uri};
use url::Url;

use crate::error::{self, Error};

/// A resolved request URL with the two parts HTTP/1.1 sends, computed once.
/// Cloning it costs reference-count bumps and one string copy.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The full URL, as `Response::url()` reports it.
    pub(crate) url: Url,
    /// The request target of HTTP/1.1: path and query (origin form).
    pub(crate) path: Uri,
    /// The whole URL, which HTTP/2 sends as `:scheme`, `:authority` and
    /// `:path`.
    pub(crate) absolute: Uri,
    /// The `Host` header: `host[:port]`, the port only when not the default.
    pub(crate) host: HeaderValue,
}

impl Target {
    /// A target for a URL that did not come from the user as text (a
    /// redirect's `Location`): checked like any other.
    pub(crate) fn from_url(url: Url) -> Result<Target, Error> {
        check_scheme(url.as_str(), &url)?;
        Target::new(url)
    }

    fn new(url: Url) -> Result<Target, Error> {
        let bad = |e: &dyn std::fmt::Display| error::invalid_url(url.as_str(), e.to_string());
        let path = &url[url::Position::BeforePath..url::Position::AfterQuery];
        let path = Uri::try_from(if path.is_empty() { "/" } else { path }).map_err(|e| bad(&e))?;
        let host = &url[url::Position::BeforeHost..url::Position::AfterPort];
        let host = HeaderValue::from_str(host).map_err(|e| bad(&e))?;
        let absolute = Uri::try_from(&url[..url::Position::AfterQuery]).map_err(|e| bad(&e))?;
        Ok(Target {
            url,
            path,
            absolute,
            host,
        })
    }
}

impl Target {
    /// This target with `pairs` (already `application/x-www-form-urlencoded`)
    /// appended to its query, after the query it has, for
    /// `RequestBuilder::query`. The fragment is kept.
    #[cfg(feature = "json")]
    pub(crate) fn append_query(self, pairs: &str) -> Result<Target, Error> {
        if pairs.is_empty() {
            return Ok(self);
        }
        let mut url = self.url;
        let query = match url.query() {
            Some(old) if !old.is_empty() => format!("{old}&{pairs}"),
            _ => pairs.to_owned(),
        };
        // `set_query` escapes only what a query may not hold, so the
        // encoder's `%XX` and `+` pass through unchanged.
        url.set_query(Some(&query));
        Target::new(url)
    }
}

/// The last few URLs this thread resolved.
///
/// Parsing a URL is the largest cost of a small request after HTTP itself
/// (about 6,000 instructions for `http://127.0.0.1:8080/x`, measured with
/// callgrind), and clients mostly send to the same few URLs, so a hit
/// replaces it with a string comparison and a clone. Thread-local: no lock.
struct Recent {
    raw: Box<str>,
    /// The base URL it was resolved against; `None` for absolute URLs.
    base: Option<Box<str>>,
    target: Target,
}

const RECENT_MAX: usize = 8;

thread_local! {
    static RECENT: RefCell<Vec<Recent>> = const { RefCell::new(Vec::new()) };
}

/// Resolves `raw` as `resolve` does, through the per-thread cache.
pub(crate) fn target(raw: &str, base: Option<&Url>) -> Result<Target, Error> {
    let absolute = raw.starts_with("http://") || raw.starts_with("https://");
    let base_key = if absolute {
        None
    } else {
        base.map(Url::as_str)
    };
    let hit = RECENT.try_with(|recent| {
        recent
            .borrow()
            .iter()
            .find(|r| &*r.raw == raw && r.base.as_deref() == base_key)
            .map(|r| r.target.clone())
    });
    if let Ok(Some(target)) = hit {
        return Ok(target);
    }
    let target = Target::new(resolve(raw, base)?)?;
    // Fails only while the thread is being torn down: then just don't cache.
    let _ = RECENT.try_with(|recent| {
        let mut recent = recent.borrow_mut();
        if recent.len() >= RECENT_MAX {
            recent.remove(0);
        }
        recent.push(Recent {
            raw: raw.into(),
            base: base_key.map(Into::into),
            target: target.clone(),
        });
    });
    Ok(target)
}

/// Checks that `url` is one this client can fetch.
fn check_scheme(raw: &str, url: &Url) -> Result<(), Error> {
    match url.scheme() {
        "http" => {}
        #[cfg(feature = "rustls")]
        "https" => {}
        #[cfg(not(feature = "rustls"))]
        "https" => {
            return Err(error::invalid_url(
                raw,
                "https needs the `rustls` feature of clientsession, which is off in this build: \
                 enable it in Cargo.toml, or use http://",
            ));
        }
        other => {
            return Err(error::invalid_url(
                raw,
                format!(
                    "unsupported scheme `{other}`: only http:// and https:// URLs are supported"
                ),
            ));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(error::invalid_url(raw, "the URL has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Silently dropping them would send an unauthenticated request the
        // caller did not ask for.
        return Err(error::invalid_url(
            raw,
            "credentials in the URL are not supported yet: send an `Authorization` header instead",
        ));
    }
    Ok(())
}

/// Parses a base URL given to `SessionBuilder::base_url`.
pub(crate) fn parse_base(raw: &str) -> Result<Url, Error> {
    match Url::parse(raw) {
        Ok(url) => {
            check_scheme(raw, &url)?;
            Ok(url)
        }
        Err(url::ParseError::RelativeUrlWithoutBase) => Err(error::invalid_url(
            raw,
            "a base URL must be absolute, with a scheme and a host, such as http://api.example.com/v1",
        )),
        Err(e) => Err(error::invalid_url(raw, e.to_string())),
    }
}

/// Resolves a request URL, joining it onto `base` when it is relative.
pub(crate) fn resolve(raw: &str, base: Option<&Url>) -> Result<Url, Error> {
    let url = match Url::parse(raw) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => match base {
            Some(base) => join(base, raw).map_err(|e| error::invalid_url(raw, e.to_string()))?,
            None => {
                return Err(error::invalid_url(
                    raw,
                    "a relative URL needs a base URL: set one with `SessionBuilder::base_url`, \
                     or pass an absolute URL such as http://host/path",
                ));
            }
        },
        Err(e) => return Err(error::invalid_url(raw, e.to_string())),
    };
    check_scheme(raw, &url)?;
    Ok(url)
}

/// Appends the relative `rel` to the path of `base`.
///
/// This is deliberately not RFC 3986 reference resolution (which would make
/// `/users` replace the base path): users of a base URL such as
/// `https://api.example.com/v1` expect `/users` to mean `/v1/users`.
fn join(base: &Url, rel: &str) -> Result<Url, url::ParseError> {
    let mut joined = String::with_capacity(base.as_str().len() + rel.len() + 1);
    joined.push_str(&base[..url::Position::AfterPath]);
    if rel.starts_with('?') || rel.starts_with('#') || rel.is_empty() {
        joined.push_str(rel);
    } else {
        if !joined.ends_with('/') {
            joined.push('/');
        }
        joined.push_str(rel.trim_start_matches('/'));
    }
    Url::parse(&joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(s: &str) -> Url {
        parse_base(s).unwrap()
    }

    #[test]
    fn relative_urls_are_appended_to_the_base_path() {
        let b = base("http://api.example.com/v1");
        for rel in ["/users", "users"] {
            assert_eq!(
                resolve(rel, Some(&b)).unwrap().as_str(),
                "http://api.example.com/v1/users"
            );
        }
        let b = base("http://api.example.com/v1/");
        assert_eq!(
            resolve("/users", Some(&b)).unwrap().as_str(),
            "http://api.example.com/v1/users"
        );
        let b = base("http://api.example.com");
        assert_eq!(
            resolve("users", Some(&b)).unwrap().as_str(),
            "http://api.example.com/users"
        );
    }

    #[test]
    fn the_query_of_a_relative_url_is_kept() {
        let b = base("http://h/v1?ignored=1");
        assert_eq!(
            resolve("/users?page=2&x=y", Some(&b)).unwrap().as_str(),
            "http://h/v1/users?page=2&x=y"
        );
        assert_eq!(
            resolve("?page=2", Some(&b)).unwrap().as_str(),
            "http://h/v1?page=2"
        );
    }

    #[test]
    fn cached_targets_depend_on_the_base() {
        let a = base("http://a.example/v1");
        let b = base("http://b.example/v2");
        for _ in 0..2 {
            assert_eq!(
                target("users", Some(&a)).unwrap().url.as_str(),
                "http://a.example/v1/users"
            );
            assert_eq!(
                target("users", Some(&b)).unwrap().url.as_str(),
                "http://b.example/v2/users"
            );
            assert!(target("users", None).is_err());
        }
        let t = target("http://h:8080/p?q=1", Some(&a)).unwrap();
        assert_eq!(t.path, "/p?q=1");
        assert_eq!(t.host, "h:8080");
        assert_eq!(target("http://h/", None).unwrap().host, "h");
    }

    #[test]
    fn absolute_urls_ignore_the_base() {
        let b = base("http://h/v1");
        assert_eq!(
            resolve("http://other:8080/x", Some(&b)).unwrap().as_str(),
            "http://other:8080/x"
        );
    }

    #[test]
    fn bad_urls_are_typed_errors_naming_the_url() {
        let cases = [
            ("/users", "needs a base URL"),
            ("ftp://example.com/f", "unsupported scheme `ftp`"),
            ("http://[::1", "invalid"),
            #[cfg(not(feature = "rustls"))]
            ("https://example.com", "the `rustls` feature"),
            ("http://user:pw@h/", "credentials"),
        ];
        for (raw, want) in cases {
            match resolve(raw, None) {
                Err(Error::InvalidUrl { url, reason }) => {
                    assert_eq!(url, raw);
                    assert!(reason.contains(want), "{raw}: {reason}");
                }
                other => panic!("{raw}: {other:?}"),
            }
        }
    }

    #[cfg(feature = "rustls")]
    #[test]
    fn https_urls_are_accepted_with_the_rustls_feature() {
        let url = resolve("https://example.com/x", None).unwrap();
        assert_eq!(url.scheme(), "https");
        assert_eq!(url.port_or_known_default(), Some(443));
    }

    #[test]
    fn a_relative_base_url_is_rejected() {
        match parse_base("/v1") {
            Err(Error::InvalidUrl { reason, .. }) => {
                assert!(reason.contains("absolute"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[cfg(feature = "json")]
    #[test]
    fn appended_query_pairs_follow_the_existing_query() {
        let b = base("http://h/v1");
        let t = target("users?page=2#top", Some(&b)).unwrap();
        let t = t.append_query("q=a+b&x=%26").unwrap();
        assert_eq!(t.url.as_str(), "http://h/v1/users?page=2&q=a+b&x=%26#top");
        assert_eq!(t.path, "/v1/users?page=2&q=a+b&x=%26");
        let t = target("http://h/p", None)
            .unwrap()
            .append_query("a=1")
            .unwrap();
        assert_eq!(t.url.as_str(), "http://h/p?a=1");
        let t = t.append_query("").unwrap();
        assert_eq!(t.url.as_str(), "http://h/p?a=1");
    }
}
