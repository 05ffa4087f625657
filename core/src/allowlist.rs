//! Per-token IP allowlists (**Allowed IP ranges**): at most [`MAX_RANGES`] CIDR ranges, IPv4
//! and IPv6; an empty list allows any address. Parsed the same way by the page (to explain
//! early), the server (to enforce) and the CLI.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::validate::FieldError;

/// The most ranges one token may carry.
pub const MAX_RANGES: usize = 20;
/// The form field (and API field) the errors name.
pub const FIELD: &str = "allowed_ips";

/// One CIDR range, its network address without host bits (`10.0.0.0/8`, `2001:db8::/32`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    /// Whether `ip` is in the range. An IPv4 address that arrives as IPv6 (`::ffff:a.b.c.d`,
    /// as a dual-stack socket reports it) is compared as the IPv4 address it is.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u32::from(ip).into(), self.prefix, 32) == u32::from(net).into()
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(ip), self.prefix, 128) == u128::from(net)
            }
            _ => false,
        }
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// `bits` (of an address `width` bits long) with all but the first `prefix` cleared.
fn masked(bits: u128, prefix: u8, width: u8) -> u128 {
    // Worked on the top `width` bits of a u128, so one mask serves both families.
    let shift = 128 - u32::from(width);
    let keep = match prefix {
        0 => 0,
        p => u128::MAX << (128 - u32::from(p)),
    };
    ((bits << shift) & keep) >> shift
}

impl FromStr for IpRange {
    type Err = String;

    /// `address/prefix`, or an address alone (one host: /32 or /128).
    fn from_str(s: &str) -> Result<Self, String> {
        let (address, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("“{s}” is not an IP address or CIDR range"))?;
        let network = canonical(network);
        let width = match network {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        let prefix = match prefix {
            None => width,
            Some(p) => p
                .parse::<u8>()
                .ok()
                // Digits only, as written: not "+8" or "08".
                .filter(|n| *n <= width && n.to_string() == p)
                .ok_or_else(|| format!("“{s}”: the prefix length must be 0 to {width}"))?,
        };
        let range = IpRange { network, prefix };
        let host_bits = match network {
            IpAddr::V4(v4) => masked(u32::from(v4).into(), prefix, 32) != u128::from(u32::from(v4)),
            IpAddr::V6(v6) => masked(u128::from(v6), prefix, 128) != u128::from(v6),
        };
        if host_bits {
            return Err(format!(
                "“{s}” has host bits set: the range is {}",
                range.normalized()
            ));
        }
        Ok(range)
    }
}

impl IpRange {
    /// The range with its host bits cleared (for the message that suggests it).
    fn normalized(self) -> IpRange {
        let network = match self.network {
            IpAddr::V4(v4) => {
                let bits = masked(u32::from(v4).into(), self.prefix, 32) as u32;
                IpAddr::V4(Ipv4Addr::from(bits))
            }
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(masked(u128::from(v6), self.prefix, 128))),
        };
        IpRange { network, ..self }
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl Serialize for IpRange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IpRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The ranges typed in the form: separated by commas, spaces or new lines; duplicates
/// dropped; at most [`MAX_RANGES`]. Empty: anywhere.
pub fn parse(text: &str) -> Result<Vec<IpRange>, FieldError> {
    let mut ranges: Vec<IpRange> = Vec::new();
    for word in text
        .split([',', ' ', '\n', '\r', '\t'])
        .filter(|w| !w.is_empty())
    {
        let range: IpRange = word.parse().map_err(|e| FieldError::new(FIELD, e))?;
        if !ranges.contains(&range) {
            ranges.push(range);
        }
    }
    check(ranges)
}

/// The limit on a list that arrives already parsed (the API's JSON array).
pub fn check(ranges: Vec<IpRange>) -> Result<Vec<IpRange>, FieldError> {
    if ranges.len() > MAX_RANGES {
        return Err(FieldError::new(
            FIELD,
            format!("At most {MAX_RANGES} ranges; combine them into wider ones."),
        ));
    }
    Ok(ranges)
}

/// Whether a token with these ranges may be used from `ip` (empty: from anywhere).
pub fn allows(ranges: &[IpRange], ip: IpAddr) -> bool {
    ranges.is_empty() || ranges.iter().any(|r| r.contains(ip))
}

/// The list as the form shows it again: one range a line.
pub fn text(ranges: &[IpRange]) -> String {
    ranges
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_hold_what_their_prefix_says() {
        let ranges = parse("10.0.0.0/8, 192.168.1.7\n2001:db8::/32 0.0.0.0/0").unwrap();
        assert_eq!(
            text(&ranges),
            "10.0.0.0/8\n192.168.1.7/32\n2001:db8::/32\n0.0.0.0/0"
        );
        let (ten, host, v6, any) = (ranges[0], ranges[1], ranges[2], ranges[3]);
        assert!(ten.contains(ip("10.255.0.1")));
        assert!(!ten.contains(ip("11.0.0.1")));
        assert!(host.contains(ip("192.168.1.7")));
        assert!(!host.contains(ip("192.168.1.8")));
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.0.0.1")), "no family crossing");
        assert!(any.contains(ip("203.0.113.9")));
        assert!(
            !any.contains(ip("::1")),
            "0.0.0.0/0 is every IPv4 address only"
        );
        // A dual-stack socket reports 127.0.0.2 as ::ffff:127.0.0.2.
        let loopback = parse("127.0.0.2").unwrap();
        assert!(allows(&loopback, ip("::ffff:127.0.0.2")));
        assert!(!allows(&loopback, ip("127.0.0.3")));
        assert!(allows(&[], ip("198.51.100.1")), "empty: anywhere");
        assert_eq!(parse(" , \n").unwrap(), []);
    }

    #[test]
    fn bad_ranges_are_named_in_the_field() {
        for (bad, says) in [
            ("10.0.0.1/8", "host bits set: the range is 10.0.0.0/8"),
            ("10.0.0.0/33", "prefix length must be 0 to 32"),
            ("2001:db8::/129", "prefix length must be 0 to 128"),
            ("10.0.0.0/+8", "prefix length"),
            ("10.0.0.0/08", "prefix length"),
            ("10.0.0.0/", "prefix length"),
            ("10.0.0", "not an IP address"),
            ("example.com", "not an IP address"),
            ("::1%eth0", "not an IP address"),
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.field, FIELD);
            assert!(e.message.contains(says), "{bad}: {}", e.message);
        }
        let many: Vec<String> = (0..21).map(|i| format!("10.0.{i}.0/24")).collect();
        assert!(
            parse(&many.join(","))
                .unwrap_err()
                .message
                .contains("At most 20")
        );
        let twenty: Vec<String> = (0..20).map(|i| format!("10.0.{i}.0/24")).collect();
        assert_eq!(parse(&twenty.join(",")).unwrap().len(), 20);
        // Duplicates count once.
        assert_eq!(parse("10.0.0.0/8 10.0.0.0/8").unwrap().len(), 1);
    }

    #[test]
    fn json_is_the_cidr_text() {
        let ranges = parse("10.0.0.0/8 ::1").unwrap();
        let json = serde_json::to_string(&ranges).unwrap();
        assert_eq!(json, r#"["10.0.0.0/8","::1/128"]"#);
        let back: Vec<IpRange> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ranges);
        assert!(serde_json::from_str::<Vec<IpRange>>(r#"["10.0.0.1/8"]"#).is_err());
    }
}
