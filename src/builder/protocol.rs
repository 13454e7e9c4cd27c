//! `SessionBuilder` setters for HTTP behaviour: redirects, status errors,
//! cookies, protocol versions, and default credentials.

use super::SessionBuilder;

impl SessionBuilder {
    /// Sets how many redirects a request follows.
    ///
    /// 301 and 302 after `POST`, and every 303 (but after `HEAD`), become
    /// `GET` without a body; 307 and 308 keep the method and the body. When
    /// a redirect leaves the origin (scheme, host or port) of the first
    /// request, `Authorization`, `Cookie` and `Proxy-Authorization` are no
    /// longer sent. Default: up to 10
    /// ([`Policy::default`](crate::redirect::Policy)); a request can
    /// override it with [`RequestBuilder::redirect`](crate::RequestBuilder::redirect).
    pub fn redirect(mut self, policy: crate::redirect::Policy) -> SessionBuilder {
        self.config.redirect = policy;
        self
    }

    /// Turns every 4xx and 5xx response into [`Error::Status`](crate::Error::Status), as
    /// [`Response::error_for_status`](crate::Response::error_for_status)
    /// does for one response. Default: off.
    pub fn raise_for_status(mut self, on: bool) -> SessionBuilder {
        self.config.raise_for_status = on;
        self
    }

    /// Keeps a cookie jar: cookies set by responses are sent back to the
    /// hosts they belong to, by the rules of RFC 6265. Default: on (as in
    /// aiohttp); feature `cookies`.
    #[cfg(feature = "cookies")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cookies")))]
    pub fn cookies(mut self, on: bool) -> SessionBuilder {
        self.config.cookies = on;
        self
    }

    /// Speaks only HTTP/1.1: over TLS, ALPN offers only `http/1.1`.
    ///
    /// Default: HTTP/2 where the server picks it during the TLS handshake,
    /// HTTP/1.1 otherwise and over plain TCP.
    pub fn http1_only(mut self) -> SessionBuilder {
        self.config.versions = crate::config::Versions::Http1Only;
        self
    }

    /// Speaks HTTP/2 from the first byte, without negotiating it: the way
    /// to use HTTP/2 over plain TCP (h2c) with a server known to support it.
    ///
    /// Concurrent requests to one origin then share one connection. Default:
    /// off (see [`http1_only`](SessionBuilder::http1_only)).
    pub fn http2_prior_knowledge(mut self) -> SessionBuilder {
        self.config.versions = crate::config::Versions::Http2PriorKnowledge;
        self
    }

    /// Sends HTTP Basic credentials (RFC 7617) with every request of the
    /// session: `Authorization: Basic` and `user:password` in base64;
    /// `None` sends `user:`.
    ///
    /// A request's own credentials
    /// ([`RequestBuilder::basic_auth`](crate::RequestBuilder::basic_auth),
    /// [`bearer_auth`](crate::RequestBuilder::bearer_auth) or an
    /// `Authorization` header) replace these. The value is marked
    /// sensitive, so it is never shown in `Debug` output or logs, and it is
    /// not sent to another origin after a redirect. It replaces earlier
    /// credentials set here. Default: none.
    ///
    /// # Errors
    ///
    /// None: base64 always makes a valid header value.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientsession::Session;
    ///
    /// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
    /// let builder = Session::builder().basic_auth("ada", Some("hunter2"));
    /// assert!(!format!("{builder:?}").contains("hunter2"));
    /// let session = builder.build().await?;
    /// # drop(session); Ok(()) }
    /// ```
    pub fn basic_auth<U, P>(mut self, user: U, password: Option<P>) -> SessionBuilder
    where
        U: std::fmt::Display,
        P: std::fmt::Display,
    {
        let password = password.map(|p| p.to_string());
        let value = crate::request::basic_auth_value(&user, password.as_deref());
        self.config
            .default_headers
            .insert(http::header::AUTHORIZATION, value);
        self
    }

    /// Sends `Authorization: Bearer <token>` (RFC 6750) with every request
    /// of the session.
    ///
    /// A request's own credentials replace it, as with
    /// [`basic_auth`](SessionBuilder::basic_auth); the value is marked
    /// sensitive, and it is not sent to another origin after a redirect.
    /// Default: none.
    ///
    /// # Errors
    ///
    /// A token with control characters (CR, LF, NUL) is reported by
    /// [`build`](SessionBuilder::build) as [`Error::InvalidHeader`](crate::Error::InvalidHeader),
    /// without the token.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientsession::{Error, Session};
    ///
    /// # #[tokio::main] async fn main() {
    /// let err = Session::builder().bearer_auth("abc\r\nx-evil: 1").build().await.unwrap_err();
    /// assert!(matches!(err, Error::InvalidHeader { .. }));
    /// assert!(!err.to_string().contains("evil"));
    /// # }
    /// ```
    pub fn bearer_auth<T: std::fmt::Display>(mut self, token: T) -> SessionBuilder {
        match crate::request::bearer_auth_value(&token) {
            Ok(value) => {
                self.config
                    .default_headers
                    .insert(http::header::AUTHORIZATION, value);
                self
            }
            Err(e) => self.fail(e),
        }
    }
}
