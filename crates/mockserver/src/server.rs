//! [`MockServer`]: binds 127.0.0.1, serves the routes on a runtime of its own in a
//! background thread, and shuts everything down (listener and open connections) when
//! dropped.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};

use crate::config::MockConfig;
use crate::handlers::{App, ConnKill, router};
use crate::stats::{Stats, StatsRecorder};

/// A running mock server. Dropping it stops the server: the listening socket is closed
/// and every open connection (hung requests included) is cut before `drop` returns.
///
/// The server runs on its own Tokio runtime in a background thread, so it works from any
/// test (`#[tokio::test]` of either flavour, or plain `#[test]` with a runtime of its own)
/// and is not slowed by what the client's runtime does.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    app: Arc<App>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Starts a server on `127.0.0.1` at a free port.
    pub async fn start(config: MockConfig) -> io::Result<MockServer> {
        Self::start_on_port(config, 0).await
    }

    /// Starts a server on `127.0.0.1:port` (`0` = any free port).
    pub async fn start_on_port(config: MockConfig, port: u16) -> io::Result<MockServer> {
        let std_listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let app = Arc::new(App::new(config));
        let routes = router(Arc::clone(&app));
        let stats = Arc::clone(&app.stats);
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 4));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("mockserver-worker")
            .enable_all()
            .build()?;
        let (ready_tx, ready_rx) = oneshot::channel::<io::Result<()>>();
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("mockserver".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match TcpListener::from_std(std_listener) {
                        Ok(l) => {
                            let _ = ready_tx.send(Ok(()));
                            l
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    accept_loop(listener, routes, stats, shutdown_rx).await;
                });
                // Drops every connection task (and with it every hung request).
                runtime.shutdown_timeout(Duration::from_secs(2));
            })?;
        let mut server = MockServer {
            addr,
            app,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        };
        match ready_rx.await {
            Ok(Ok(())) => Ok(server),
            Ok(Err(e)) => Err(e),
            Err(_) => {
                server.stop();
                Err(io::Error::other(
                    "the mock server thread stopped while starting",
                ))
            }
        }
    }

    /// Starts `n` servers with the same configuration, each on its own free port (replicas
    /// of one model, e.g. for a card's `base_urls`).
    pub async fn start_many(config: MockConfig, n: usize) -> io::Result<Vec<MockServer>> {
        let mut servers = Vec::with_capacity(n);
        for _ in 0..n {
            servers.push(Self::start(config.clone()).await?);
        }
        Ok(servers)
    }

    /// The OpenAI base URL, `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// A snapshot of the statistics.
    pub fn stats(&self) -> Stats {
        self.app.stats.snapshot()
    }

    /// Clears the statistics (requests still in flight stay counted as in flight).
    /// Fault bookkeeping is not touched: see [`MockServer::reset_faults`].
    pub fn reset_stats(&self) {
        self.app.stats.reset();
    }

    /// Restarts fault bookkeeping: global request numbers count from 0 again and every
    /// key's [`crate::When::FirstAttempts`] count is forgotten.
    pub fn reset_faults(&self) {
        self.app.plan.reset();
        self.app.next_request.store(0, Ordering::Relaxed);
    }

    /// Stops the server and waits for its thread (what `drop` does).
    fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn accept_loop(
    listener: TcpListener,
    routes: Router,
    stats: Arc<StatsRecorder>,
    mut shutdown: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            // Either an explicit stop or the MockServer vanished: stop in both cases.
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    stats.record_connection();
                    tokio::spawn(serve_connection(stream, routes.clone()));
                }
                // E.g. out of file descriptors: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}

/// Serves one HTTP/1.1 connection until the client closes it, or until a handler asks
/// for it to be dropped ([`crate::Fault::DropConnection`]).
async fn serve_connection(stream: TcpStream, routes: Router) {
    let _ = stream.set_nodelay(true);
    let kill = Arc::new(Notify::new());
    let handle = Arc::clone(&kill);
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnKill(Arc::clone(&handle)));
        let mut routes = routes.clone();
        async move { tower_service::Service::call(&mut routes, req.map(Body::new)).await }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .header_read_timeout(None)
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = conn => {}
        // Dropping `conn` closes the socket without writing a response.
        () = kill.notified() => {}
    }
}
