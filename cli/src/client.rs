//! The bearer API over HTTP: one request per command (two when a name is resolved), every
//! answer mapped to data or to a [`Failure`] with its exit code.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use keyward_core::Secret;
use keyward_core::api::{AuthError, ErrorBody};
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Host;

use crate::failure::{Failure, say};

/// The header a response to a soon-expiring credential carries (see the server's
/// `api::expiry`): its words are shown on stderr.
const WARNING_HEADER: &str = "keyward-token-warning";
/// The end of a 401's message: what to do next.
const LOGIN_HINT: &str = " Run `kw login` with a valid token.";
/// The most of an error answer that is read: enough for the API's JSON, not a stream.
const ERROR_BODY_MAX: u64 = 64 * 1024;
/// Largest successful answer read: far above any list the API returns.
const BODY_MAX: u64 = 64 << 20;
/// Longest server message or code shown.
const MESSAGE_MAX: usize = 300;
/// The warning is said once per command, however many requests it makes.
static WARNED: AtomicBool = AtomicBool::new(false);

pub struct Api {
    http: Client,
    /// The server as the user named it (`https://keyward.example.com`), for messages.
    pub server: String,
    base: Url,
    token: Secret,
    timeout: Duration,
}

impl Api {
    pub fn new(server: &str, token: Secret, timeout: Duration) -> Result<Api, Failure> {
        let base = parse_server(server)?;
        let mut http = Client::builder();
        if is_loopback(&base) {
            // reqwest would send even a request for 127.0.0.1 through HTTP_PROXY/ALL_PROXY,
            // and over plain http that proxy would read the token.
            http = http.no_proxy();
        }
        let http = http
            .timeout(timeout)
            .connect_timeout(timeout)
            // An API never redirects; following one could carry the token somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("kw/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Failure::server(format!("cannot start the HTTP client: {}", cause(&e))))?;
        Ok(Api {
            http,
            server: server.to_string(),
            base,
            token,
            timeout,
        })
    }

    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// `GET /api/v1/<path>` decoded as `T`.
    pub fn get<T: DeserializeOwned>(&self, path: &[&str]) -> Result<T, Failure> {
        self.json(self.request(Method::GET, path))
    }

    /// A request with a JSON body, its answer decoded as `T`.
    pub fn send<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &[&str],
        body: &B,
    ) -> Result<T, Failure> {
        self.json(self.request(method, path).json(body))
    }

    /// A request whose success has no body (204).
    pub fn call<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &[&str],
        body: Option<&B>,
    ) -> Result<(), Failure> {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(body);
        }
        self.execute(request).map(drop)
    }

    fn request(&self, method: Method, path: &[&str]) -> RequestBuilder {
        let mut url = self.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            // Each piece is one escaped segment: a secret named `a/b` cannot change the route.
            segments.pop_if_empty().extend(["api", "v1"]).extend(path);
        }
        self.http
            .request(method, url)
            .bearer_auth(self.token.expose())
    }

    fn json<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, Failure> {
        let response = self.execute(request)?;
        let url = response.url().path().to_string();
        let mut body = Vec::new();
        let read = response.take(BODY_MAX + 1).read_to_end(&mut body);
        if read.is_err() || body.len() as u64 > BODY_MAX {
            return Err(Failure::server(format!(
                "{} answered {url} with more than {} MiB, or broke off",
                self.server,
                BODY_MAX >> 20
            )));
        }
        // Not the decoder's words: they can quote the answer, which may hold secret values.
        serde_json::from_slice(&body).map_err(|_| {
            Failure::server(format!(
                "{} answered {url} with something that is not the expected JSON",
                self.server
            ))
        })
    }

    fn execute(&self, request: RequestBuilder) -> Result<Response, Failure> {
        let response = request.send().map_err(|e| self.unreachable(&e))?;
        if let Some(words) = response
            .headers()
            .get(WARNING_HEADER)
            .and_then(|v| v.to_str().ok())
            && !WARNED.swap(true, Ordering::Relaxed)
        {
            say(&format!("warning: {words}"));
        }
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        if status.is_redirection() {
            let to = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("elsewhere");
            return Err(Failure::server(format!(
                "{} redirects to {to}: pass the server's own address with --url",
                self.server
            )));
        }
        let path = response.url().path().to_string();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        // Read what came, within bounds: a proxy's HTML page is not our JSON.
        let mut body = Vec::new();
        let read = response.take(ERROR_BODY_MAX).read_to_end(&mut body);
        let error = read
            .ok()
            .and_then(|_| serde_json::from_slice::<ErrorBody>(&body).ok());
        Err(refusal(
            &self.server,
            status,
            &path,
            error,
            retry_after.as_deref(),
        ))
    }

    fn unreachable(&self, e: &reqwest::Error) -> Failure {
        if e.is_timeout() {
            Failure::server(format!(
                "{} did not answer within {} s (timed out; --timeout sets the limit)",
                self.server,
                self.timeout.as_secs()
            ))
        } else {
            Failure::server(format!("cannot reach {}: {}", self.server, cause(e)))
        }
    }
}

/// The exit code and words for an answer that is not a success.
pub fn refusal(
    server: &str,
    status: StatusCode,
    path: &str,
    error: Option<ErrorBody>,
    retry_after: Option<&str>,
) -> Failure {
    let (code, message, field) = match error {
        Some(ErrorBody { error }) => (
            shortened(error.code),
            shortened(error.message),
            error.field.map(shortened),
        ),
        None => (String::new(), String::new(), None),
    };
    let said = |fallback: &str| {
        if message.is_empty() {
            fallback.to_string()
        } else {
            message.clone()
        }
    };
    let named = |fallback: &str| {
        if code.is_empty() {
            fallback.to_string()
        } else {
            code.clone()
        }
    };
    let mut failure = match status {
        StatusCode::UNAUTHORIZED => Failure::auth(format!(
            "authentication failed: {} ({}).{}",
            auth_words(&code),
            named("401"),
            if message.is_empty() {
                String::new()
            } else {
                format!(" {message}")
            }
        ))
        .with_hint(LOGIN_HINT),
        StatusCode::FORBIDDEN => Failure::denied(format!(
            "permission denied ({}): {}",
            named("403"),
            said("the server refused this request")
        )),
        StatusCode::NOT_FOUND => {
            Failure::denied(format!("not found: {path}: {}", said("no such resource")))
        }
        // Not the caller's input: the way to the server, or the server, is in the way.
        StatusCode::TOO_MANY_REQUESTS
        | StatusCode::PROXY_AUTHENTICATION_REQUIRED
        | StatusCode::REQUEST_TIMEOUT => Failure::server(format!(
            "{server} answered HTTP {}: {}{}",
            status.as_u16(),
            said(status.canonical_reason().unwrap_or("try again later")),
            retry_after.map_or(String::new(), |s| format!(" (retry after {s} s)"))
        )),
        s if s.is_client_error() => Failure::usage(format!(
            "the server refused the request ({}{}): {}",
            named(s.as_str()),
            field.map_or(String::new(), |f| format!(", field `{f}`")),
            said(s.canonical_reason().unwrap_or("bad request"))
        )),
        s => Failure::server(format!(
            "{server} failed: HTTP {}{}",
            s.as_u16(),
            if message.is_empty() {
                String::new()
            } else {
                format!(": {message}")
            }
        )),
    };
    failure.reason = (!code.is_empty()).then_some(code);
    failure
}

/// A server's text cut to one screen line's worth: an error is one line, however long
/// the answer.
fn shortened(text: String) -> String {
    if text.chars().count() <= MESSAGE_MAX {
        return text;
    }
    let mut short: String = text.chars().take(MESSAGE_MAX - 1).collect();
    short.push('…');
    short
}

/// The server's 401 code in words (the server's own codes: a new one fails to build here
/// until it has its words).
fn auth_words(code: &str) -> &'static str {
    match AuthError::parse(code) {
        Some(AuthError::TokenExpired) => "the token has expired",
        Some(AuthError::TokenRevoked) => "the token has been revoked",
        Some(AuthError::TokenSuspended) => {
            "the token is suspended until an administrator transfers it"
        }
        Some(AuthError::AccountDisabled) => "the account behind the token is deactivated",
        Some(AuthError::SessionRevoked) => "the session has ended",
        Some(AuthError::InvalidToken) => "the token is not valid",
        Some(AuthError::TokenRotated) => "the token value was replaced by a rotation",
        Some(AuthError::IpNotAllowed) => {
            "the token may not be used from this machine's IP address (its Allowed IP ranges)"
        }
        None => "the server did not accept the token",
    }
}

/// `http(s)://host[:port][/path]`, without credentials, query or fragment. Plain http only
/// to this machine: anywhere else the token would cross the network in the clear.
pub fn parse_server(server: &str) -> Result<Url, Failure> {
    let bad = |why: &str| Failure::usage(format!("the server URL {:?} {why}", shown(server)));
    if !server.contains("://") {
        return Err(bad(
            "must start with https:// (or http:// for this machine)",
        ));
    }
    let url = Url::parse(server).map_err(|e| bad(&format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(
            "must start with https:// (or http:// for this machine)",
        ));
    }
    if url.host().is_none() {
        return Err(bad("has no host"));
    }
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(bad(
            "uses plain http: a token must not cross the network in the clear, so use https:// (http is accepted for localhost only)",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not hold a user name or password"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not have a query or fragment"));
    }
    Ok(url)
}

/// A server URL as a message may quote it: without a password or a query, which may hold
/// credentials (`https://user:pw@host`, `?token=...`).
fn shown(server: &str) -> String {
    let url = match Url::parse(server) {
        // "alice:pw@k" parses as the scheme "alice" followed by an opaque path that may
        // well be a password: nothing of it is quoted.
        Ok(url) if url.cannot_be_a_base() => return "…".into(),
        Ok(url) => url,
        // Where a URL that does not parse ends its user name or password is anyone's
        // guess: only its scheme is quoted, or the whole of a plain host name.
        Err(_) => {
            return match server.split_once("://") {
                Some((scheme, _)) if scheme.chars().all(|c| c.is_ascii_alphanumeric()) => {
                    format!("{scheme}://…")
                }
                None if !server.contains(['@', ':', '?', '#', '/']) => server.to_string(),
                _ => "…".into(),
            };
        }
    };
    let mut text = format!("{}://", url.scheme());
    if !url.username().is_empty() || url.password().is_some() {
        text.push_str("…@");
    }
    text.push_str(url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        text.push_str(&format!(":{port}"));
    }
    text.push_str(url.path());
    if url.query().is_some() || url.fragment().is_some() {
        text.push('…');
    }
    text
}

/// Whether the server is this machine, where plain http is acceptable and no proxy is used.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The one spelling of a server URL that is saved and compared (no trailing slash).
pub fn normalize_server(server: &str) -> Result<String, Failure> {
    Ok(parse_server(server)?
        .as_str()
        .trim_end_matches('/')
        .to_string())
}

/// The innermost cause of a network error ("Connection refused (os error 111)", "dns error:
/// failed to lookup address information: ..."), which says more than the outer layers.
fn cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut inner: &dyn std::error::Error = e;
    while let Some(source) = inner.source() {
        inner = source;
    }
    let words = inner.to_string();
    if words.is_empty() {
        e.to_string()
    } else {
        words
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::exit;
    use keyward_core::api::ErrorDetail;

    fn body(code: &str, message: &str, field: Option<&str>) -> Option<ErrorBody> {
        Some(ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
                field: field.map(Into::into),
            },
        })
    }

    #[test]
    fn statuses_map_to_exit_codes_with_the_servers_words() {
        let s = "http://k";
        let f = refusal(
            s,
            StatusCode::UNAUTHORIZED,
            "/api/v1/whoami",
            body("token_revoked", "This token has been revoked.", None),
            None,
        );
        assert_eq!(f.code, exit::AUTH);
        assert!(
            f.message
                .contains("the token has been revoked (token_revoked)"),
            "{}",
            f.message
        );
        assert!(
            f.message.contains("This token has been revoked."),
            "{}",
            f.message
        );
        let f = refusal(
            s,
            StatusCode::UNAUTHORIZED,
            "/",
            body("token_expired", "x", None),
            None,
        );
        assert!(f.message.contains("expired"));
        let f = refusal(
            s,
            StatusCode::FORBIDDEN,
            "/",
            body("forbidden", "Your grant does not allow this.", None),
            None,
        );
        assert_eq!(f.code, exit::DENIED);
        assert!(f.message.ends_with("Your grant does not allow this."));
        let f = refusal(
            s,
            StatusCode::NOT_FOUND,
            "/api/v1/projects/9",
            body("not_found", "No such resource.", None),
            None,
        );
        assert_eq!(
            (f.code, f.message.as_str()),
            (
                exit::DENIED,
                "not found: /api/v1/projects/9: No such resource."
            )
        );
        let f = refusal(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "/",
            body(
                "invalid_field",
                "The config must be a JSON object.",
                Some("config"),
            ),
            None,
        );
        assert_eq!(f.code, exit::USAGE);
        assert!(f.message.contains("field `config`"), "{}", f.message);
        let f = refusal(
            s,
            StatusCode::TOO_MANY_REQUESTS,
            "/",
            body("rate_limited", "Slow down.", None),
            Some("60"),
        );
        assert_eq!(f.code, exit::SERVER);
        assert!(f.message.contains("retry after 60 s"));
        // The way to the server is in the way, not the caller's input.
        for status in [
            StatusCode::PROXY_AUTHENTICATION_REQUIRED,
            StatusCode::REQUEST_TIMEOUT,
        ] {
            let f = refusal(s, status, "/", None, None);
            assert_eq!(f.code, exit::SERVER, "{status}");
            assert!(
                f.message.starts_with("http://k answered HTTP 40"),
                "{}",
                f.message
            );
        }
        // Not our JSON (a proxy's page): the status alone.
        let f = refusal(s, StatusCode::BAD_GATEWAY, "/", None, None);
        assert_eq!(
            (f.code, f.message.as_str()),
            (exit::SERVER, "http://k failed: HTTP 502")
        );
        let f = refusal(s, StatusCode::UNAUTHORIZED, "/", None, None);
        assert_eq!(f.code, exit::AUTH);
    }

    #[test]
    fn server_urls_are_checked() {
        assert!(parse_server("https://keyward.example.com").is_ok());
        assert!(parse_server("http://127.0.0.1:3000/base/").is_ok());
        assert!(parse_server("http://[::1]:3000").is_ok());
        assert!(parse_server("http://LOCALHOST").is_ok());
        for bad in [
            "keyward.example.com",
            "ftp://k",
            "https://u:p@k",
            "https://k/?a=1",
            "https://k/#top",
            "http://",
            "",
            // Plain http to anything that is not this machine, however it is spelled.
            "http://k",
            "http://localhost.evil.com",
            "http://127.0.0.1.nip.io",
            "http://[::ffff:127.0.0.1]",
            "http://10.0.0.1",
        ] {
            let e = parse_server(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad} accepted"));
            assert_eq!(e.code, exit::USAGE);
        }
        // A refusal never quotes a password or a query.
        for (url, hidden) in [
            ("https://alice:hunter2@k", "hunter2"),
            ("ftp://alice:hunter2@k/x", "hunter2"),
            ("https://k/?token=abc123", "abc123"),
            ("http://k@evil:pw@host/", "evil:pw"),
            // Not a URL at all: where its password ends is a guess.
            ("https://alice:pa/ss word@k", "pa"),
            ("https://alice:hunter2@[k", "hunter2"),
        ] {
            let e = parse_server(url).unwrap_err();
            assert!(!e.message.contains(hidden), "{}", e.message);
        }
        assert_eq!(shown("https://u:p@k/a?b"), "https://…@k/a…");
        assert_eq!(shown("https://k:8443/x"), "https://k:8443/x");
        assert_eq!(shown("keyward.example.com"), "keyward.example.com");
        assert_eq!(shown("alice:pw@k"), "…");
    }

    #[test]
    fn one_server_has_one_spelling() {
        let one = normalize_server("https://keyward.example.com").unwrap();
        for other in [
            "https://keyward.example.com/",
            "HTTPS://Keyward.Example.COM",
            "https://keyward.example.com:443",
        ] {
            assert_eq!(normalize_server(other).unwrap(), one, "{other}");
        }
        assert_eq!(
            normalize_server("http://127.0.0.1:3000/base/").unwrap(),
            "http://127.0.0.1:3000/base"
        );
        assert_ne!(
            normalize_server("https://keyward.example.com:8443").unwrap(),
            one
        );
    }
}
