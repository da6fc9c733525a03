//! The HTTP side: `tiny_http` parses requests (request line, headers,
//! chunked bodies, keep-alive); a few worker threads hand each one to the
//! [`App`] and write its response with the security headers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread;

use tiny_http::{Header, Server};

use crate::app::{App, Request, Response, SECURITY_HEADERS};

/// How many requests are handled at once (a send can take seconds).
pub const WORKERS: usize = 4;

/// Binds the listening socket; warns when the address is not loopback,
/// because then anyone who can reach it can use the form.
///
/// # Errors
/// The bind error (address in use, permission), as text.
pub fn bind(listen: SocketAddr) -> Result<Server, String> {
    if let Some(warning) = exposure_warning(listen) {
        log::warn!("{warning}");
    }
    Server::http(listen).map_err(|err| format!("cannot listen on {listen}: {err}"))
}

/// The warning for an address other than loopback, if it is one.
pub fn exposure_warning(listen: SocketAddr) -> Option<String> {
    (!listen.ip().is_loopback()).then(|| {
        format!(
            "listening on {listen}, which is not a loopback address: anyone who can reach it can use this form \
             (the page is plain HTTP, so passwords typed into it cross the network unencrypted)"
        )
    })
}

/// Serves requests until the server is unblocked or fails; blocks.
pub fn serve(server: Arc<Server>, app: Arc<App>) {
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (server, app) = (Arc::clone(&server), Arc::clone(&app));
            thread::spawn(move || {
                for request in server.incoming_requests() {
                    handle(&app, request);
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
}

fn handle(app: &App, mut request: tiny_http::Request) {
    let method = request.method().as_str().to_owned();
    let url = request.url().to_owned();
    let headers = request
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_owned(),
                h.value.as_str().to_owned(),
            )
        })
        .collect();
    let response = app.handle(Request {
        method: &method,
        url: &url,
        headers,
        body: request.as_reader(),
    });
    log::debug!(
        "{method} {} -> {}",
        url.split('?').next().unwrap_or_default(),
        response.status
    );
    if let Err(err) = request.respond(to_tiny(response)) {
        log::debug!("could not write a response: {err}");
    }
}

fn to_tiny(response: Response) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let mut out = tiny_http::Response::from_data(response.body).with_status_code(response.status);
    let mut headers = vec![("Content-Type", response.content_type)];
    headers.extend(response.allow.map(|allow| ("Allow", allow)));
    headers.extend_from_slice(SECURITY_HEADERS);
    for (name, value) in headers {
        if let Ok(header) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            out.add_header(header);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warns_only_for_addresses_beyond_loopback() {
        for quiet in ["127.0.0.1:2345", "127.0.0.2:80", "[::1]:2345"] {
            assert_eq!(exposure_warning(quiet.parse().unwrap()), None, "{quiet}");
        }
        for loud in ["0.0.0.0:2345", "192.0.2.10:2345", "[::]:2345"] {
            let warning = exposure_warning(loud.parse().unwrap()).unwrap();
            assert!(warning.contains("not a loopback address"), "{loud}");
        }
    }
}
