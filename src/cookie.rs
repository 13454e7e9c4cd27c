//! The session's cookie jar (feature `cookies`, on by default, as in
//! aiohttp).
//!
//! The RFC 6265 rules (domain and host-only matching, path, `Secure`,
//! `HttpOnly`, expiry) come from `cookie_store`, a crate many clients
//! already trust, rather than from rules written here.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use cookie_store::{CookieStore, RawCookie};
use http::{HeaderMap, HeaderValue, header};
use url::Url;

use crate::error::Error;

/// The cookies a session received, sent back to the hosts that set them.
///
/// Every session has one unless built with
/// [`SessionBuilder::cookies(false)`](crate::SessionBuilder::cookies). Get it
/// with [`Session::cookie_jar`](crate::Session::cookie_jar) to read cookies
/// or add your own.
///
/// # Examples
///
/// ```
/// use clientsession::{Session, Url};
///
/// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
/// let session = Session::new()?;
/// let jar = session.cookie_jar().expect("cookies are on by default");
/// let url = Url::parse("http://example.com/").unwrap();
/// jar.add_cookie_str("theme=dark; Path=/", &url)?;
/// assert_eq!(jar.cookies(&url), vec![("theme".to_owned(), "dark".to_owned())]);
/// # Ok(()) }
/// ```
pub struct CookieJar {
    store: Mutex<CookieStore>,
    /// False until the first cookie is stored, so that sessions talking to
    /// servers that set no cookie never take the lock.
    used: AtomicBool,
}

impl CookieJar {
    pub(crate) fn new() -> CookieJar {
        CookieJar {
            store: Mutex::new(CookieStore::new()),
            used: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, CookieStore> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a cookie as if `url` had answered with `Set-Cookie: cookie`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidHeader`] when `cookie` is not a valid `Set-Cookie`
    /// value, or the cookie may not be set from `url` (for example a
    /// `Domain` that `url` does not belong to).
    pub fn add_cookie_str(&self, cookie: &str, url: &Url) -> Result<(), Error> {
        let bad = |reason: String| crate::error::invalid_header(b"set-cookie", reason);
        let raw = RawCookie::parse(cookie.to_owned()).map_err(|e| bad(e.to_string()))?;
        self.lock()
            .insert_raw(&raw, url)
            .map_err(|e| bad(e.to_string()))?;
        self.used.store(true, Ordering::Release);
        Ok(())
    }

    /// The cookies (name, value) that a request to `url` would send now.
    pub fn cookies(&self, url: &Url) -> Vec<(String, String)> {
        self.lock()
            .get_request_values(url)
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect()
    }

    /// Removes every cookie.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The `Cookie` header for a request to `url`, if any cookie matches.
    pub(crate) fn header_for(&self, url: &Url) -> Option<HeaderValue> {
        if !self.used.load(Ordering::Acquire) {
            return None;
        }
        let store = self.lock();
        let mut line = String::new();
        for (name, value) in store.get_request_values(url) {
            if !line.is_empty() {
                line.push_str("; ");
            }
            line.push_str(name);
            line.push('=');
            line.push_str(value);
        }
        drop(store);
        if line.is_empty() {
            return None;
        }
        let mut value = HeaderValue::from_str(&line).ok()?;
        value.set_sensitive(true);
        Some(value)
    }

    /// Stores the `Set-Cookie` headers of a response from `url`. Cookies
    /// that are malformed or not allowed for `url` are skipped, as browsers
    /// do.
    pub(crate) fn store(&self, url: &Url, headers: &HeaderMap) {
        let mut set = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| RawCookie::parse(v.to_owned()).ok())
            .peekable();
        if set.peek().is_none() {
            return;
        }
        self.lock().store_response_cookies(set, url);
        self.used.store(true, Ordering::Release);
    }
}

impl fmt::Debug for CookieJar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values are secrets; show only how many cookies there are.
        let count = self.lock().iter_unexpired().count();
        f.debug_struct("CookieJar")
            .field("cookies", &count)
            .finish()
    }
}
