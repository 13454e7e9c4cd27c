//! Conversions into header names and values that keep the bad input for the
//! error message.
//!
//! `http`'s own `TryFrom` errors say only "invalid header name"; ours name
//! the header. The traits are sealed: users pass strings, bytes or `http`'s
//! types, and we stay free to change the mechanism.

use http::{HeaderName, HeaderValue};

use crate::error::{self, Error};

mod private {
    pub trait Sealed {}
}

/// Something that can be used as a header name: `&str`, `String`,
/// `HeaderName` or `&HeaderName`. Sealed.
pub trait IntoHeaderName: private::Sealed {
    #[doc(hidden)]
    fn into_header_name(self) -> Result<HeaderName, Error>;
}

/// Something that can be used as a header value: `&str`, `String`,
/// `&[u8]`, `Vec<u8>`, `HeaderValue` or `&HeaderValue`. Sealed.
pub trait IntoHeaderValue: private::Sealed {
    #[doc(hidden)]
    fn into_header_value(self, name: &HeaderName) -> Result<HeaderValue, Error>;
}

const NAME_RULE: &str = "a header name must be a non-empty token of visible ASCII \
                         characters without spaces or separators such as `:`";
const VALUE_RULE: &str = "a header value must not contain control characters such as \
                          CR, LF or NUL (the value is not shown, as it may be secret)";

fn name_from_bytes(raw: &[u8]) -> Result<HeaderName, Error> {
    HeaderName::from_bytes(raw).map_err(|_| error::invalid_header(raw, NAME_RULE))
}

fn value_error(name: &HeaderName) -> Error {
    error::invalid_header(name.as_str().as_bytes(), VALUE_RULE)
}

impl private::Sealed for HeaderName {}
impl IntoHeaderName for HeaderName {
    fn into_header_name(self) -> Result<HeaderName, Error> {
        Ok(self)
    }
}
impl private::Sealed for &HeaderName {}
impl IntoHeaderName for &HeaderName {
    fn into_header_name(self) -> Result<HeaderName, Error> {
        Ok(self.clone())
    }
}
impl private::Sealed for &str {}
impl IntoHeaderName for &str {
    fn into_header_name(self) -> Result<HeaderName, Error> {
        name_from_bytes(self.as_bytes())
    }
}
impl private::Sealed for String {}
impl IntoHeaderName for String {
    fn into_header_name(self) -> Result<HeaderName, Error> {
        name_from_bytes(self.as_bytes())
    }
}
impl private::Sealed for &String {}
impl IntoHeaderName for &String {
    fn into_header_name(self) -> Result<HeaderName, Error> {
        name_from_bytes(self.as_bytes())
    }
}

impl private::Sealed for HeaderValue {}
impl IntoHeaderValue for HeaderValue {
    fn into_header_value(self, _: &HeaderName) -> Result<HeaderValue, Error> {
        Ok(self)
    }
}
impl private::Sealed for &HeaderValue {}
impl IntoHeaderValue for &HeaderValue {
    fn into_header_value(self, _: &HeaderName) -> Result<HeaderValue, Error> {
        Ok(self.clone())
    }
}
impl IntoHeaderValue for &str {
    fn into_header_value(self, name: &HeaderName) -> Result<HeaderValue, Error> {
        HeaderValue::from_str(self).map_err(|_| value_error(name))
    }
}
impl IntoHeaderValue for &String {
    fn into_header_value(self, name: &HeaderName) -> Result<HeaderValue, Error> {
        HeaderValue::from_str(self).map_err(|_| value_error(name))
    }
}
impl IntoHeaderValue for String {
    fn into_header_value(self, name: &HeaderName) -> Result<HeaderValue, Error> {
        HeaderValue::try_from(self).map_err(|_| value_error(name))
    }
}
impl private::Sealed for &[u8] {}
impl IntoHeaderValue for &[u8] {
    fn into_header_value(self, name: &HeaderName) -> Result<HeaderValue, Error> {
        HeaderValue::from_bytes(self).map_err(|_| value_error(name))
    }
}
impl private::Sealed for Vec<u8> {}
impl IntoHeaderValue for Vec<u8> {
    fn into_header_value(self, name: &HeaderName) -> Result<HeaderValue, Error> {
        HeaderValue::try_from(self).map_err(|_| value_error(name))
    }
}

/// Converts a name and a value, reporting the first one that is bad.
pub(crate) fn pair<K: IntoHeaderName, V: IntoHeaderValue>(
    name: K,
    value: V,
) -> Result<(HeaderName, HeaderValue), Error> {
    let name = name.into_header_name()?;
    let value = value.into_header_value(&name)?;
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_names_and_values_are_named_in_the_error() {
        match pair("bad name", "v") {
            Err(Error::InvalidHeader { name, reason }) => {
                assert_eq!(name, "bad name");
                assert!(reason.contains("token"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        match pair("x-inject", "a\r\nSet-Cookie: evil=1") {
            Err(Error::InvalidHeader { name, reason }) => {
                assert_eq!(name, "x-inject");
                assert!(reason.contains("CR"), "{reason}");
                assert!(!reason.contains("evil"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn good_pairs_convert() {
        let (n, v) = pair(http::header::ACCEPT, String::from("text/plain")).unwrap();
        assert_eq!(n, http::header::ACCEPT);
        assert_eq!(v, "text/plain");
    }
}
