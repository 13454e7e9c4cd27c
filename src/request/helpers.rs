//! `RequestBuilder`'s body helpers (serde, multipart) and credentials.

use std::fmt;

#[cfg(feature = "json")]
use crate::body::Body;
use crate::error::Error;
use crate::header;

use super::RequestBuilder;

impl RequestBuilder {
    /// Keeps `err` if no bad input came before it.
    fn keep_first_error(mut self, err: Error) -> RequestBuilder {
        self.error.get_or_insert(err);
        self
    }

    /// Sets `body` and, unless this request already has a `Content-Type`,
    /// that header.
    #[cfg(feature = "json")]
    fn typed_body(mut self, body: Body, content_type: http::HeaderValue) -> RequestBuilder {
        self.body = body;
        if !self.headers.contains_key(http::header::CONTENT_TYPE) {
            self.headers
                .insert(http::header::CONTENT_TYPE, content_type);
        }
        self
    }

    /// Sets the body to `value` serialized as JSON, with
    /// `Content-Type: application/json`.
    ///
    /// A `Content-Type` already set on this request with
    /// [`header`](RequestBuilder::header) is kept (for types such as
    /// `application/merge-patch+json`); set it before calling `json`. The
    /// body is held in memory and sent with a `Content-Length`.
    ///
    /// # Errors
    ///
    /// A value that cannot be serialized (such as a map whose keys are not
    /// strings) is reported by [`send`](RequestBuilder::send) as
    /// [`Error::InvalidBody`], with serde_json's error as its source.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::collections::HashMap;
    /// use clientsession::Session;
    ///
    /// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
    /// let session = Session::new()?;
    /// let new_user = HashMap::from([("name", "ada"), ("role", "admin")]);
    /// let created: HashMap<String, String> = session
    ///     .post("http://127.0.0.1:8080/users")
    ///     .json(&new_user)
    ///     .send()
    ///     .await?
    ///     .json()
    ///     .await?;
    /// assert_eq!(created["name"], "ada");
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> RequestBuilder {
        match serde_json::to_vec(value) {
            Ok(json) => self.typed_body(
                Body::from(json),
                http::HeaderValue::from_static("application/json"),
            ),
            Err(e) => self.keep_first_error(crate::error::invalid_body(
                "could not serialize the value as JSON",
                Some(e.into()),
            )),
        }
    }

    /// Sets the body to `value` encoded as an HTML form, with
    /// `Content-Type: application/x-www-form-urlencoded`.
    ///
    /// `value` is a struct, a map or a sequence of pairs whose values are
    /// strings, numbers, booleans or `Option`s of them (serde_urlencoded's
    /// rules). A `Content-Type` already set on this request is kept.
    /// Comes with the `json` feature, as all the serde helpers do.
    ///
    /// # Errors
    ///
    /// A value that cannot be encoded as a form (such as a nested struct)
    /// is reported by [`send`](RequestBuilder::send) as
    /// [`Error::InvalidBody`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientsession::Session;
    ///
    /// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
    /// let session = Session::new()?;
    /// let response = session
    ///     .post("http://127.0.0.1:8080/login")
    ///     .form(&[("user", "ada"), ("remember", "true")])
    ///     .send()
    ///     .await?;
    /// assert!(response.status().is_success());
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn form<T: serde::Serialize + ?Sized>(self, value: &T) -> RequestBuilder {
        match serde_urlencoded::to_string(value) {
            Ok(form) => self.typed_body(
                Body::from(form),
                http::HeaderValue::from_static("application/x-www-form-urlencoded"),
            ),
            Err(e) => self.keep_first_error(crate::error::invalid_body(
                "could not encode the value as a form",
                Some(e.into()),
            )),
        }
    }

    /// Appends `value`, encoded as `name=value` pairs, to the query string
    /// of the URL.
    ///
    /// The query already in the URL (given to the verb method, after
    /// joining it onto the session's base URL) is kept, and the new pairs
    /// follow it; calling `query` twice appends twice. `value` follows the
    /// rules of [`form`](RequestBuilder::form). Comes with the `json`
    /// feature.
    ///
    /// # Errors
    ///
    /// A value that cannot be encoded (such as a nested struct) is
    /// reported by [`send`](RequestBuilder::send) as
    /// [`Error::InvalidUrl`].
    ///
    /// # Examples
    ///
    /// ```
    /// use clientsession::Session;
    ///
    /// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
    /// let session = Session::builder().base_url("http://127.0.0.1:8080/api").build().await?;
    /// let request = session
    ///     .get("search?page=2")
    ///     .query(&[("q", "rust & tokio"), ("lang", "en")]);
    /// let shown = format!("{request:?}");
    /// assert!(shown.contains("http://127.0.0.1:8080/api/search?page=2&q=rust+%26+tokio&lang=en"));
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn query<T: serde::Serialize + ?Sized>(mut self, value: &T) -> RequestBuilder {
        // Without a target the URL was bad, and that error is already kept.
        let Some(target) = self.target.take() else {
            return self;
        };
        let url = target.url.to_string();
        let appended = serde_urlencoded::to_string(value)
            .map_err(|e| {
                crate::error::invalid_url(&url, format!("could not encode the query: {e}"))
            })
            .and_then(|pairs| target.append_query(&pairs));
        match appended {
            Ok(target) => {
                self.target = Some(target);
                self
            }
            Err(e) => self.keep_first_error(e),
        }
    }

    /// Sets the `Authorization` header to HTTP Basic credentials
    /// (RFC 7617): `user:password` in base64; `None` sends `user:`.
    ///
    /// It replaces the session's default credentials
    /// ([`SessionBuilder::basic_auth`](crate::SessionBuilder::basic_auth))
    /// and any `Authorization` set on this request before. The value is
    /// marked sensitive, so it is never shown in `Debug` output or logs.
    /// It is not sent to another origin after a redirect.
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
    /// let session = Session::new()?;
    /// let request = session
    ///     .get("http://127.0.0.1:8080/private")
    ///     .basic_auth("ada", Some("hunter2"));
    /// assert!(!format!("{request:?}").contains("hunter2"));
    /// # Ok(()) }
    /// ```
    pub fn basic_auth<U, P>(mut self, user: U, password: Option<P>) -> RequestBuilder
    where
        U: fmt::Display,
        P: fmt::Display,
    {
        let password = password.map(|p| p.to_string());
        self.headers.insert(
            http::header::AUTHORIZATION,
            basic_auth_value(&user, password.as_deref()),
        );
        self
    }

    /// Sets the `Authorization` header to `Bearer <token>` (RFC 6750).
    ///
    /// It replaces the session's default credentials
    /// ([`SessionBuilder::bearer_auth`](crate::SessionBuilder::bearer_auth))
    /// and any `Authorization` set on this request before. The value is
    /// marked sensitive, so it is never shown in `Debug` output or logs.
    /// It is not sent to another origin after a redirect.
    ///
    /// # Errors
    ///
    /// A token with control characters (CR, LF, NUL) is reported by
    /// [`send`](RequestBuilder::send) as [`Error::InvalidHeader`], without
    /// the token.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientsession::Session;
    ///
    /// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
    /// let session = Session::new()?;
    /// let me = session
    ///     .get("http://127.0.0.1:8080/me")
    ///     .bearer_auth("eyJhbGciOi...")
    ///     .send()
    ///     .await?;
    /// assert!(me.status().is_success());
    /// # Ok(()) }
    /// ```
    pub fn bearer_auth<T: fmt::Display>(mut self, token: T) -> RequestBuilder {
        match bearer_auth_value(&token) {
            Ok(value) => {
                self.headers.insert(http::header::AUTHORIZATION, value);
                self
            }
            Err(e) => self.keep_first_error(e),
        }
    }

    /// Sets the body to `form` as `multipart/form-data` (RFC 7578), with a
    /// `Content-Type` that names its boundary.
    ///
    /// This replaces any `Content-Type` set on this request, as the
    /// boundary must match the body. A form of in-memory parts is sent
    /// with a `Content-Length`; one with a
    /// [`Part::stream`](crate::multipart::Part::stream) is sent as a
    /// stream, only once (see there).
    ///
    /// # Errors
    ///
    /// A part with an invalid MIME type is reported by
    /// [`send`](RequestBuilder::send) as [`Error::InvalidBody`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientsession::Session;
    /// use clientsession::multipart::{Form, Part};
    ///
    /// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
    /// let session = Session::new()?;
    /// let form = Form::new()
    ///     .text("title", "holiday")
    ///     .part("photo", Part::bytes(vec![0xff, 0xd8]).file_name("a.jpg").mime_str("image/jpeg"));
    /// let response = session.post("http://127.0.0.1:8080/upload").multipart(form).send().await?;
    /// assert!(response.status().is_success());
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "multipart")]
    #[cfg_attr(docsrs, doc(cfg(feature = "multipart")))]
    pub fn multipart(mut self, form: crate::multipart::Form) -> RequestBuilder {
        match form.encode() {
            Ok((content_type, body)) => {
                self.headers
                    .insert(http::header::CONTENT_TYPE, content_type);
                self.body = body;
                self
            }
            Err(e) => self.keep_first_error(e),
        }
    }
}

/// The sensitive `Authorization` value for HTTP Basic credentials; shared
/// with `SessionBuilder::basic_auth`.
pub(crate) fn basic_auth_value(
    user: &dyn fmt::Display,
    password: Option<&str>,
) -> http::HeaderValue {
    use base64::Engine as _;
    let credentials = match password {
        Some(password) => format!("{user}:{password}"),
        None => format!("{user}:"),
    };
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    let mut value = http::HeaderValue::try_from(format!("Basic {encoded}"))
        .expect("base64 output is a valid header value");
    value.set_sensitive(true);
    value
}

/// The sensitive `Authorization` value for a bearer token; shared with
/// `SessionBuilder::bearer_auth`.
pub(crate) fn bearer_auth_value(token: &dyn fmt::Display) -> Result<http::HeaderValue, Error> {
    let (_, mut value) = header::pair(http::header::AUTHORIZATION, format!("Bearer {token}"))?;
    value.set_sensitive(true);
    Ok(value)
}
