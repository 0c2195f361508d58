//! An in-memory datagram network for SIP: sockets bound at addresses of a [`Wire`] deliver
//! to each other through channels, with no kernel in between. Telephony runs on it
//! unchanged (rsipstack takes it as its UDP socket, [`crate::Telephony::start_on_wire`]), and
//! so can phones and trunks made with rsipstack in a test, all on tokio's clock, so a test
//! may pause time and let timers of minutes pass at once. RTP still goes over real sockets.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::{Mutex as AsyncMutex, mpsc};

type Datagram = (Vec<u8>, SocketAddr);

/// The network: who is bound where.
#[derive(Debug, Clone, Default)]
pub struct Wire {
    bound: Arc<Mutex<HashMap<SocketAddr, mpsc::UnboundedSender<Datagram>>>>,
}

impl Wire {
    pub fn new() -> Wire {
        Wire::default()
    }

    /// A socket at `addr`; an address bound already is refused, as the kernel would.
    pub fn bind(&self, addr: SocketAddr) -> std::io::Result<WireSocket> {
        let mut bound = self.bound.lock().unwrap_or_else(|e| e.into_inner());
        if bound.get(&addr).is_some_and(|tx| !tx.is_closed()) {
            return Err(std::io::ErrorKind::AddrInUse.into());
        }
        let (tx, rx) = mpsc::unbounded_channel();
        bound.insert(addr, tx);
        Ok(WireSocket {
            wire: self.clone(),
            addr,
            inbox: AsyncMutex::new(rx),
        })
    }
}

/// One end of the wire, bound at an address.
#[derive(Debug)]
pub struct WireSocket {
    wire: Wire,
    addr: SocketAddr,
    inbox: AsyncMutex<mpsc::UnboundedReceiver<Datagram>>,
}

impl Drop for WireSocket {
    fn drop(&mut self) {
        let mut bound = self.wire.bound.lock().unwrap_or_else(|e| e.into_inner());
        bound.remove(&self.addr);
    }
}

#[async_trait::async_trait]
impl rsipstack::platform::net::UdpSocket for WireSocket {
    async fn recv_from(&self, buf: &mut [u8]) -> rsipstack::Result<(usize, SocketAddr)> {
        let got = self.inbox.lock().await.recv().await;
        let Some((data, from)) = got else {
            return Err(rsipstack::Error::Error("the wire is gone".into()));
        };
        let n = data.len().min(buf.len());
        buf[..n].copy_from_slice(&data[..n]);
        Ok((n, from))
    }

    /// Delivered if someone is bound at `addr`, else lost, as UDP would be.
    async fn send_to(&self, buf: &[u8], addr: SocketAddr) -> rsipstack::Result<usize> {
        let to = self
            .wire
            .bound
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&addr)
            .cloned();
        if let Some(to) = to {
            let _ = to.send((buf.to_vec(), self.addr));
        }
        Ok(buf.len())
    }

    fn local_addr(&self) -> rsipstack::Result<SocketAddr> {
        Ok(self.addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsipstack::platform::net::UdpSocket as _;

    #[tokio::test]
    async fn datagrams_reach_the_address_they_are_sent_to() {
        let wire = Wire::new();
        let a = wire.bind("127.0.0.1:5060".parse().unwrap()).unwrap();
        let b = wire.bind("127.0.0.1:5070".parse().unwrap()).unwrap();
        assert!(wire.bind("127.0.0.1:5070".parse().unwrap()).is_err());
        a.send_to(b"hello", "127.0.0.1:5070".parse().unwrap())
            .await
            .unwrap();
        // Nobody there: lost, no error.
        a.send_to(b"lost", "127.0.0.1:5080".parse().unwrap())
            .await
            .unwrap();
        let mut buf = [0; 16];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"hello"[..], a.local_addr().unwrap()));
        drop(b);
        assert!(wire.bind("127.0.0.1:5070".parse().unwrap()).is_ok());
    }
}
