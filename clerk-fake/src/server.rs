//! Serving the router over TCP with one task per connection.
//!
//! axum's own `serve` cannot close a single connection on demand, and faults need exactly that:
//! a handler cancels its connection's [`ConnectionAbort`] token and this loop drops the
//! connection, so the client sees the socket close with no response at all.

use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::app::ConnectionAbort;

/// Accepts connections until `shutdown` is cancelled.
pub(crate) async fn serve(listener: TcpListener, router: Router, shutdown: CancellationToken) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.cancelled() => return,
        };
        match accepted {
            Ok((stream, _)) => {
                tokio::spawn(serve_connection(stream, router.clone(), shutdown.clone()));
            }
            // Out of file descriptors and the like: back off instead of spinning on accept.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

async fn serve_connection(stream: TcpStream, router: Router, shutdown: CancellationToken) {
    // Small request/response pairs: waiting for Nagle only adds latency.
    let _ = stream.set_nodelay(true);
    let abort = CancellationToken::new();
    let abort_for_requests = abort.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request
            .extensions_mut()
            .insert(ConnectionAbort(abort_for_requests.clone()));
        router.clone().oneshot(request)
    });
    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut draining = false;
    loop {
        tokio::select! {
            _ = connection.as_mut() => return,
            // Returning drops the connection: the socket closes with nothing written.
            () = abort.cancelled() => return,
            () = shutdown.cancelled(), if !draining => {
                draining = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
