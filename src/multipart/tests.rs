//! Unit tests of the multipart encoder.

use super::*;

fn encoded(form: Form) -> (String, String) {
    let (content_type, body) = form.encode().expect("a valid form");
    let body = body.as_bytes().expect("an in-memory body").to_vec();
    (
        content_type.to_str().expect("ASCII").to_owned(),
        String::from_utf8(body).expect("UTF-8 in this test"),
    )
}

#[test]
fn a_form_is_framed_by_its_boundary() {
    let form = Form::new().text("a", "1").part(
        "f",
        Part::bytes("x\r\ny")
            .file_name("f.txt")
            .mime_str("text/plain"),
    );
    let (content_type, body) = encoded(form);
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .expect("the boundary parameter");
    assert_eq!(
        body,
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f.txt\"\r\n\
             Content-Type: text/plain\r\n\r\nx\r\ny\r\n--{boundary}--\r\n"
        )
    );
}

#[test]
fn quotes_and_line_breaks_in_names_are_escaped() {
    let form = Form::new().part("a\"b", Part::bytes("v").file_name("evil\r\nx: 1\".txt"));
    let (_, body) = encoded(form);
    assert!(
        body.contains(r#"name="a%22b"; filename="evil%0D%0Ax: 1%22.txt""#),
        "{body}"
    );
}

#[test]
fn boundaries_differ_and_are_valid_tokens() {
    let (a, b) = (boundary(), boundary());
    assert_ne!(a, b);
    assert!(a.len() <= 70, "RFC 2046 caps a boundary at 70 characters");
    assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'));
}

#[test]
fn a_bad_mime_type_is_reported_by_encode() {
    for bad in ["image", "/png", "text/plain\r\nx: 1", "a b/c"] {
        let form = Form::new().part("f", Part::bytes("v").mime_str(bad));
        match form.encode() {
            Err(Error::InvalidBody { reason, .. }) => {
                assert!(reason.contains("MIME"), "{reason}")
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    assert!(parse_mime("text/plain; charset=utf-8").is_ok());
}
