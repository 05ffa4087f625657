//! Where a request comes from: the socket peer, or, when that peer is a proxy the operator
//! trusts (`KEYWARD_TRUSTED_PROXIES`), the address it forwarded in `X-Forwarded-For`. The
//! edges resolve it once per request; allowlists, rate limits and the audit log all use it.

use std::net::{IpAddr, SocketAddr};

use keyward_core::allowlist::IpRange;

/// The resolved client address of a request (a request extension).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr {
    pub ip: IpAddr,
    /// Whether `ip` is the client's for certain: the socket peer itself, or an address a
    /// trusted proxy wrote. `false` when a trusted proxy named no usable client (no
    /// `X-Forwarded-For`, or an entry that is no address): `ip` is then the proxy's, good
    /// for rate limits and the log, but no token's Allowed IP ranges may match it.
    pub known: bool,
}

impl ClientAddr {
    /// A client seen directly (no proxy in between).
    pub fn peer(ip: IpAddr) -> ClientAddr {
        ClientAddr {
            ip: canonical(ip),
            known: true,
        }
    }

    /// The address Allowed IP ranges are matched against (`None`: unknown).
    pub fn for_allowlist(self) -> Option<IpAddr> {
        self.known.then_some(self.ip)
    }
}

/// An IPv4 client on a dual-stack socket (`::ffff:a.b.c.d`) is the IPv4 address it is, in
/// the log as in the checks: the same rule as the allowlists' own.
pub use keyward_core::allowlist::canonical;

/// One `X-Forwarded-For` entry: an address, or one with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`), as some load balancers write it.
fn hop(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(canonical)
}

/// The client of a request from `peer` carrying `X-Forwarded-For` values `forwarded` (each
/// header's value, in order). Each proxy appends the address it received from, so the list
/// is read from the right: every hop a trusted proxy added is skipped, and the first address
/// that is not a trusted proxy is the client. Anything to its left was written by the client
/// itself and proves nothing. A peer that is not trusted is the client, whatever it sends.
/// A trusted peer that forwarded nothing usable (no entry, or one that is no address, where
/// a proxy's entry should be) leaves the client unknown (see [`ClientAddr::known`]).
pub fn resolve<'a>(
    peer: IpAddr,
    forwarded: impl DoubleEndedIterator<Item = &'a str>,
    trusted: &[IpRange],
) -> ClientAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|r| r.contains(ip));
    let mut client = ClientAddr::peer(peer);
    if !is_trusted(client.ip) {
        return client;
    }
    // Until a trusted proxy has named someone, the client is not known.
    client.known = false;
    for entry in forwarded.rev().flat_map(|value| value.rsplit(',')) {
        let Some(ip) = hop(entry) else {
            client.known = false;
            break;
        };
        client = ClientAddr { ip, known: true };
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn ranges(s: &str) -> Vec<IpRange> {
        s.split(' ').map(|r| r.parse().unwrap()).collect()
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let proxies = ranges("10.0.0.0/8 ::1");
        let from = |peer: &str, headers: &[&str]| {
            let c = resolve(ip(peer), headers.iter().copied(), &proxies);
            (c.ip.to_string(), c.known)
        };
        let known = |ip: &str| (ip.to_string(), true);
        let unknown = |ip: &str| (ip.to_string(), false);
        // No trusted proxy in front: the peer, whatever the header says.
        assert_eq!(from("203.0.113.9", &["198.51.100.1"]), known("203.0.113.9"));
        // One trusted proxy: the address it saw.
        assert_eq!(from("10.0.0.2", &["198.51.100.1"]), known("198.51.100.1"));
        // A client's own X-Forwarded-For is kept by the proxy and appended to: only the
        // proxy's entry counts.
        assert_eq!(
            from("10.0.0.2", &["127.0.0.9, 198.51.100.1"]),
            known("198.51.100.1")
        );
        // Two trusted proxies in a row, in one header or in two.
        assert_eq!(
            from("10.0.0.2", &["6.6.6.6, 198.51.100.1, 10.1.1.1"]),
            known("198.51.100.1")
        );
        assert_eq!(
            from("10.0.0.2", &["6.6.6.6", "198.51.100.1", "10.1.1.1"]),
            known("198.51.100.1")
        );
        // Every hop trusted: the leftmost, which a trusted proxy wrote.
        assert_eq!(from("10.0.0.2", &["10.3.3.3, 10.1.1.1"]), known("10.3.3.3"));
        // Entries with ports.
        assert_eq!(
            from("10.0.0.2", &["198.51.100.1:4711"]),
            known("198.51.100.1")
        );
        assert_eq!(
            from("10.0.0.2", &["[2001:db8::7]:443"]),
            known("2001:db8::7")
        );
        // A trusted proxy that forwarded nothing, or garbage: its own address, unknown.
        assert_eq!(from("10.0.0.2", &[]), unknown("10.0.0.2"));
        assert_eq!(
            from("10.0.0.2", &["198.51.100.1, bogus, 10.1.1.1"]),
            unknown("10.1.1.1")
        );
        assert_eq!(from("10.0.0.2", &["unknown"]), unknown("10.0.0.2"));
        assert_eq!(from("10.0.0.2", &[""]), unknown("10.0.0.2"));
        // IPv6, and a dual-stack peer (shown as the IPv4 address it is).
        assert_eq!(from("::1", &["2001:db8::7"]), known("2001:db8::7"));
        assert_eq!(
            from("::ffff:10.0.0.2", &["198.51.100.1"]),
            known("198.51.100.1")
        );
        assert_eq!(from("::ffff:203.0.113.9", &[]), known("203.0.113.9"));
        // Nothing trusted at all (the default): always the peer.
        let c = resolve(ip("10.0.0.2"), ["198.51.100.1"].into_iter(), &[]);
        assert_eq!(
            (c.ip, c.for_allowlist()),
            (ip("10.0.0.2"), Some(ip("10.0.0.2")))
        );
        let c = resolve(ip("10.0.0.2"), [].into_iter(), &proxies);
        assert_eq!(c.for_allowlist(), None);
    }
}
