//! A worker's outgoing datagrams, sent in batches: on Linux one `sendmmsg` system call carries
//! up to [`BATCH`] datagrams to any destinations, where a `sendto` each cost one call per
//! forwarded packet. Nothing here allocates once the queue has grown to its working size.

use std::io;
use std::net::SocketAddr;

use tokio::net::UdpSocket;

/// Datagrams per system call.
pub const BATCH: usize = 64;

#[derive(Default)]
pub struct Outbox {
    queued: Vec<(SocketAddr, Vec<u8>)>,
    /// Handed to the kernel since start.
    pub sent: u64,
    /// Refused by the socket (a full send buffer) and dropped, as the network would.
    pub dropped: u64,
}

impl Outbox {
    pub fn push(&mut self, destination: SocketAddr, datagram: Vec<u8>) {
        self.queued.push((destination, datagram));
    }

    pub fn len(&self) -> usize {
        self.queued.len()
    }

    /// Sends everything queued, in order.
    pub fn flush(&mut self, socket: &UdpSocket) {
        let mut start = 0;
        while start < self.queued.len() {
            let end = (start + BATCH).min(self.queued.len());
            match send_batch(socket, &self.queued[start..end]) {
                // Nothing taken without an error: as full as a refused send.
                Ok(0) => break,
                Ok(sent) => {
                    self.sent += sent as u64;
                    start += sent;
                }
                // A full send buffer: the rest goes the way of congested packets.
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                // This datagram cannot go (its destination is unreachable, say); the rest can.
                Err(error) => {
                    tracing::debug!(%error, destination = %self.queued[start].0, "UDP send");
                    self.dropped += 1;
                    start += 1;
                }
            }
        }
        self.dropped += (self.queued.len() - start) as u64;
        self.queued.clear();
    }
}

/// Sends a prefix of `batch` (at least one datagram, or an error for the first). The headers
/// are built per batch: a few allocations per system call, none per datagram.
#[cfg(target_os = "linux")]
fn send_batch(socket: &UdpSocket, batch: &[(SocketAddr, Vec<u8>)]) -> io::Result<usize> {
    use std::io::IoSlice;
    use std::os::fd::AsRawFd;

    use nix::errno::Errno;
    use nix::sys::socket::{sendmmsg, ControlMessage, MsgFlags, MultiHeaders, SockaddrStorage};

    let addresses: Vec<Option<SockaddrStorage>> = batch
        .iter()
        .map(|(destination, _)| Some(SockaddrStorage::from(*destination)))
        .collect();
    let buffers: Vec<[IoSlice<'_>; 1]> = batch
        .iter()
        .map(|(_, datagram)| [IoSlice::new(datagram)])
        .collect();
    let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(batch.len(), None);
    let no_control: [ControlMessage<'_>; 0] = [];
    loop {
        match sendmmsg(
            socket.as_raw_fd(),
            &mut headers,
            &buffers,
            &addresses,
            no_control,
            MsgFlags::empty(),
        ) {
            Ok(sent) => return Ok(sent.count()),
            Err(Errno::EINTR) => continue,
            Err(errno) => return Err(io::Error::from(errno)),
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn send_batch(socket: &UdpSocket, batch: &[(SocketAddr, Vec<u8>)]) -> io::Result<usize> {
    let (destination, datagram) = &batch[0];
    socket.try_send_to(datagram, *destination).map(|_| 1)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[tokio::test]
    async fn every_datagram_arrives_exactly_once_across_batches_and_destinations() {
        let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        // Small datagrams over four receivers: all of them fit the kernel's receive buffers.
        let mut receivers = Vec::new();
        for _ in 0..4 {
            receivers.push(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        }
        let mut outbox = Outbox::default();
        // Three and a half batches, destinations taking turns, sizes varying.
        let count = BATCH * 3 + BATCH / 2;
        for n in 0..count as u32 {
            let destination = receivers[n as usize % 4].local_addr().unwrap();
            let mut datagram = n.to_be_bytes().to_vec();
            datagram.resize(4 + (n as usize * 37) % 300, 0xAB);
            outbox.push(destination, datagram);
        }
        outbox.flush(&sender);
        assert_eq!((outbox.sent, outbox.dropped), (count as u64, 0));
        assert_eq!(outbox.len(), 0);

        let mut seen = HashSet::new();
        let mut buf = [0u8; 2048];
        for (index, receiver) in receivers.iter().enumerate() {
            let mut last = None;
            for _ in 0..count / 4 {
                let (len, from) = receiver.recv_from(&mut buf).await.unwrap();
                assert_eq!(from, sender.local_addr().unwrap());
                let n = u32::from_be_bytes(buf[..4].try_into().unwrap());
                assert_eq!(n as usize % 4, index, "sent to its own destination");
                assert_eq!(len, 4 + (n as usize * 37) % 300, "whole datagram");
                assert!(buf[4..len].iter().all(|&b| b == 0xAB));
                assert!(last.is_none_or(|l| n > l), "in order per destination");
                last = Some(n);
                assert!(seen.insert(n), "datagram {n} arrived twice");
            }
        }
        assert_eq!(seen.len(), count);
    }

    #[tokio::test]
    async fn an_unsendable_datagram_is_dropped_and_the_rest_go() {
        let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let receiver = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut outbox = Outbox::default();
        outbox.push(receiver.local_addr().unwrap(), b"first".to_vec());
        // An IPv6 destination from an IPv4 socket: the kernel refuses this one datagram.
        outbox.push("[::1]:9".parse().unwrap(), b"nowhere".to_vec());
        outbox.push(receiver.local_addr().unwrap(), b"last".to_vec());
        outbox.flush(&sender);
        assert_eq!((outbox.sent, outbox.dropped), (2, 1));
        let mut buf = [0u8; 16];
        let (len, _) = receiver.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..len], b"first");
        let (len, _) = receiver.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..len], b"last");
    }
}
