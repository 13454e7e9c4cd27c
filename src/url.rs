//! Request URLs: parsing, the supported schemes, and joining onto a base URL.
//!
//! The rules (DESIGN.md, "URL rules"): an absolute request URL is used as
//! is; a relative one is appended to the base URL's path, whether or not it
//! starts with `/`, and keeps its query string; a relative URL without a base
//! is an error that names the URL.

use url::Url;

use crate::error::{self, Error};

/// Checks that `url` is one this client can fetch.
fn check_scheme(raw: &str, url: &Url) -> Result<(), Error> {
    match url.scheme() {
        "http" => {}
        "https" => {
            return Err(error::invalid_url(
                raw,
                "https is not supported by this version of clientsession yet (TLS is planned); use http://",
            ));
        }
        other => {
            return Err(error::invalid_url(
                raw,
                format!("unsupported scheme `{other}`: only http:// URLs are supported"),
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
            ("https://example.com", "https"),
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

    #[test]
    fn a_relative_base_url_is_rejected() {
        match parse_base("/v1") {
            Err(Error::InvalidUrl { reason, .. }) => {
                assert!(reason.contains("absolute"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }
}
