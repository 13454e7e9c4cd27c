//! Following redirects: the policy, the rewrite of method and body, and
//! which headers never cross to another origin.

use http::{HeaderName, Method, StatusCode, header};
use url::Url;

/// How many redirects a request follows.
///
/// The default follows up to 10. Set it for the session with
/// [`SessionBuilder::redirect`](crate::SessionBuilder::redirect) or for one
/// request with [`RequestBuilder::redirect`](crate::RequestBuilder::redirect).
///
/// # Examples
///
/// ```
/// use clientsession::redirect::Policy;
///
/// assert_eq!(Policy::default(), Policy::limited(10));
/// let _ = Policy::none();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    max: usize,
}

impl Policy {
    /// Follows no redirect: a 3xx response is returned as it is.
    pub fn none() -> Policy {
        Policy { max: 0 }
    }

    /// Follows up to `max` redirects; one more is
    /// [`Error::Redirect`](crate::Error::Redirect).
    pub fn limited(max: usize) -> Policy {
        Policy { max }
    }

    pub(crate) fn max(&self) -> usize {
        self.max
    }
}

impl Default for Policy {
    fn default() -> Policy {
        Policy::limited(10)
    }
}

/// Headers that carry credentials: dropped, every copy of them, when a
/// redirect leaves the origin (scheme, host or port) of the first request,
/// downgrades included (see PITFALLS: reqwest#2985, aiohttp PR#12275).
pub(crate) const SENSITIVE: [HeaderName; 3] = [
    header::AUTHORIZATION,
    header::COOKIE,
    header::PROXY_AUTHORIZATION,
];

/// What the next hop sends, by RFC 9110 section 15.4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rewrite {
    /// Same method, same body (307, 308).
    Keep,
    /// `GET` without a body (303 for all but `HEAD`; 301 and 302 after
    /// `POST`, as every browser does).
    ToGet,
}

/// Whether `status` is a redirect to follow, and how.
pub(crate) fn rewrite(status: StatusCode, method: &Method) -> Option<Rewrite> {
    match status.as_u16() {
        301 | 302 if *method == Method::POST => Some(Rewrite::ToGet),
        301 | 302 => Some(Rewrite::Keep),
        303 if *method == Method::HEAD => Some(Rewrite::Keep),
        303 => Some(Rewrite::ToGet),
        307 | 308 => Some(Rewrite::Keep),
        _ => None,
    }
}

/// Whether two URLs have the same origin: scheme, host and port.
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_rewritten_as_browsers_do() {
        use Rewrite::*;
        let cases = [
            (301, Method::POST, Some(ToGet)),
            (302, Method::POST, Some(ToGet)),
            (302, Method::PUT, Some(Keep)),
            (303, Method::PUT, Some(ToGet)),
            (303, Method::HEAD, Some(Keep)),
            (307, Method::POST, Some(Keep)),
            (308, Method::POST, Some(Keep)),
            (304, Method::GET, None),
            (200, Method::GET, None),
        ];
        for (status, method, want) in cases {
            let status = StatusCode::from_u16(status).unwrap();
            assert_eq!(rewrite(status, &method), want, "{status} {method}");
        }
    }

    #[test]
    fn origin_is_scheme_host_and_port() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(same_origin(&u("http://a/x"), &u("http://a:80/y")));
        assert!(!same_origin(&u("https://a/"), &u("http://a:443/")));
        assert!(!same_origin(&u("http://a/"), &u("http://a:8080/")));
        assert!(!same_origin(&u("http://a/"), &u("http://b/")));
    }
}
