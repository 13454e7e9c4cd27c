//! A small command-line fetcher: sends one GET and prints the status line,
//! the response headers and the body, or the typed error and a non-zero exit
//! code.
//!
//! It shows the per-session limits (`timeout`, `max_response_body`) and what
//! the errors look like when one of them is hit. Run it with:
//!
//! ```text
//! cargo run --example fetch -- <url> [--timeout-ms N] [--max-body N]
//! ```
//!
//! For example `cargo run --example fetch -- http://127.0.0.1:8080/ --max-body 1024`.
//! This release speaks plain `http://` only; HTTPS is planned. As with curl
//! without `--fail`, any response read in full exits with 0, a 404 included.
//! The exit code is 1 when the request or the body read failed, and 2 for
//! bad arguments.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clientsession::{Error, Session, TimeoutKind};

/// Total time allowed for one fetch when `--timeout-ms` is not given. The
/// library itself sets no total timeout; a command-line tool should.
const DEFAULT_TIMEOUT_MS: u64 = 30_000;

const USAGE: &str = "\
usage: fetch <url> [--timeout-ms N] [--max-body N]

  <url>            absolute http:// URL to GET
  --timeout-ms N   total time for the request, body included (default 30000)
  --max-body N     largest body to accept, in bytes (default: the library's 10 MiB)";

/// Exit codes, so that scripts can tell the failures apart.
const EXIT_USAGE: u8 = 2;
const EXIT_REQUEST_FAILED: u8 = 1;

/// What the command line asked for.
#[derive(Debug)]
struct Options {
    url: String,
    timeout: Duration,
    max_body: Option<u64>,
}

// `main` returns `ExitCode` rather than `Result` because each kind of failure
// gets its own exit code and its own message; nothing here unwraps.
#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("fetch: {message}\n\n{USAGE}");
            return ExitCode::from(EXIT_USAGE);
        }
    };

    match fetch(&options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            report(&err);
            ExitCode::from(EXIT_REQUEST_FAILED)
        }
    }
}

/// Builds a session for this one fetch, sends the request and prints the
/// response. The session is closed before this returns, on success or error.
async fn fetch(options: &Options) -> Result<(), Error> {
    let mut builder = Session::builder().timeout(options.timeout);
    if let Some(limit) = options.max_body {
        builder = builder.max_response_body(limit);
    }

    let url = options.url.clone();
    builder
        .scoped(move |session| async move {
            let response = session.get(&url).send().await?;

            println!("{:?} {}", response.version(), response.status());
            for (name, value) in response.headers() {
                println!("{name}: {}", String::from_utf8_lossy(value.as_bytes()));
            }
            println!();

            // `bytes()` enforces `max_response_body`; the body may be binary,
            // so it is written out as is rather than decoded as text.
            let body = response.bytes().await?;
            let mut stdout = std::io::stdout().lock();
            if let Err(err) = stdout.write_all(&body).and_then(|()| stdout.flush()) {
                eprintln!("fetch: could not write the body to stdout: {err}");
            }
            Ok(())
        })
        .await
}

/// Prints an error, its chain of causes, and a hint naming the flag to change.
fn report(err: &Error) {
    eprintln!("fetch: error: {err}");
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        eprintln!("  caused by: {cause}");
        source = cause.source();
    }

    // The messages already name the library setting to change; these hints
    // translate that into this tool's flags.
    let hint = match err {
        Error::Timeout(TimeoutKind::Total) => Some("raise --timeout-ms"),
        Error::BodyTooLarge { .. } => Some("raise --max-body"),
        _ if err.is_connect() => Some("is the server up, and is the port right?"),
        _ => None,
    };
    if let Some(hint) = hint {
        eprintln!("  hint: {hint}");
    }
}

/// Parses `<url> [--timeout-ms N] [--max-body N]` in any order.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut url = None;
    let mut timeout_ms = DEFAULT_TIMEOUT_MS;
    let mut max_body = None;

    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Err("help requested".to_owned()),
            "--timeout-ms" => timeout_ms = number_after(&arg, args.next())?,
            "--max-body" => max_body = Some(number_after(&arg, args.next())?),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            _ if url.is_some() => return Err(format!("unexpected argument {arg}")),
            _ => url = Some(arg),
        }
    }

    Ok(Options {
        url: url.ok_or("missing <url>")?,
        timeout: Duration::from_millis(timeout_ms),
        max_body,
    })
}

fn number_after(flag: &str, value: Option<String>) -> Result<u64, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a number"))?;
    value
        .parse()
        .map_err(|_| format!("{flag} needs a whole number, got {value:?}"))
}
