//! Connections whose peer stops reading are closed after a write stall.
//!
//! A stream client that never reads fills its socket buffers; from then on the server cannot
//! write, so the SSE body is not even polled and its own slow-client check cannot run. Here every
//! accepted connection fails its pending write once it has waited `timeout` for the peer, which
//! closes the connection and drops the client's stream.

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;

/// How long a write may wait for a peer that does not read.
pub const WRITE_STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// A TCP listener whose connections time out stalled writes.
#[derive(Debug)]
pub struct StallGuardListener {
    inner: TcpListener,
    timeout: Duration,
}

impl StallGuardListener {
    pub fn new(inner: TcpListener, timeout: Duration) -> Self {
        StallGuardListener { inner, timeout }
    }
}

impl Listener for StallGuardListener {
    type Io = StallGuard;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (StallGuard, SocketAddr) {
        let (io, addr) = Listener::accept(&mut self.inner).await;
        (
            StallGuard {
                inner: io,
                timeout: self.timeout,
                stall: None,
            },
            addr,
        )
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// The peer's address as connection info (the `SocketAddr` impl is for plain listeners only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

impl Connected<IncomingStream<'_, StallGuardListener>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, StallGuardListener>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

/// A TCP stream whose writes fail with `TimedOut` after waiting `timeout` for the peer.
#[derive(Debug)]
pub struct StallGuard {
    inner: TcpStream,
    timeout: Duration,
    /// Armed when a write first returns `Pending`, cleared by any progress.
    stall: Option<Pin<Box<Sleep>>>,
}

impl StallGuard {
    fn pending<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let timeout = self.timeout;
        let sleep = self
            .stall
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "peer stopped reading; connection closed",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for StallGuard {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for StallGuard {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(r) => {
                self.stall = None;
                Poll::Ready(r)
            }
            Poll::Pending => self.pending(cx),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(r) => {
                self.stall = None;
                Poll::Ready(r)
            }
            Poll::Pending => self.pending(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Ready(r) => {
                self.stall = None;
                Poll::Ready(r)
            }
            Poll::Pending => self.pending(cx),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test(start_paused = true)]
    async fn a_write_to_a_peer_that_never_reads_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut guarded = StallGuardListener::new(listener, Duration::from_secs(5));
        let _peer = TcpStream::connect(addr).await.unwrap();
        let (mut io, _) = guarded.accept().await;
        // Far more than any socket buffer; the peer reads nothing.
        let chunk = vec![0u8; 1 << 20];
        let mut written = 0usize;
        let err = loop {
            match io.write(&chunk).await {
                Ok(n) => written += n,
                Err(e) => break e,
            }
            assert!(written < 1 << 30, "the peer's buffers never filled");
        };
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(written > 0);
    }
}
