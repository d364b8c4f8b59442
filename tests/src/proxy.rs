//! A TCP proxy the fault suite can cut: every byte between the server and a dependency
//! (PostgreSQL, the S3 endpoint) goes through it, and [`TcpProxy::cut`] drops every open
//! connection and refuses new ones until [`TcpProxy::restore`], which is what a dependency's
//! outage looks like from the server's side.

use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct TcpProxy {
    addr: SocketAddr,
    cut: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl TcpProxy {
    /// Starts forwarding a fresh loopback port to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let (cut, watch) = watch::channel(false);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if *watch.borrow() {
                    // Down: the connection opens and is closed at once, as a dead peer's would.
                    drop(client);
                    continue;
                }
                let mut down = watch.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else { return };
                    let mut client = client;
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = down.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        Self { addr, cut, task }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The dependency goes away: open connections are dropped, new ones refused.
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    /// The dependency is back.
    pub fn restore(&self) {
        self.cut.send_replace(false);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.cut.send_replace(true);
        self.task.abort();
    }
}
