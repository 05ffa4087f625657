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

/// An IPv4 address that arrives as IPv6 (`::ffff:a.b.c.d`, as a dual-stack socket reports
/// it) as the IPv4 address it is; any other address as it is.
pub fn canonical(ip: IpAddr) -> IpAddr {
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
        let written: IpAddr = address
            .parse()
            .map_err(|_| format!("“{s}” is not an IP address or CIDR range"))?;
        let network = canonical(written);
        // The prefix counts bits as the address is written: a mapped IPv4 address
        // (`::ffff:10.0.0.0/104`) has 96 bits before its IPv4 part.
        let (width, mapped_bits) = match (written, network) {
            (IpAddr::V4(_), _) => (32, 0),
            (IpAddr::V6(_), IpAddr::V4(_)) => (128, 96),
            (IpAddr::V6(_), IpAddr::V6(_)) => (128, 0),
        };
        let prefix = match prefix {
            None => width,
            Some(p) => p
                .parse::<u8>()
                .ok()
                // Digits only, as written: not "+8" or "08".
                .filter(|n| (mapped_bits..=width).contains(n) && n.to_string() == p)
                .ok_or_else(|| {
                    format!("“{s}”: the prefix length must be {mapped_bits} to {width}")
                })?,
        } - mapped_bits;
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

/// A token's **Allowed IP ranges**: at most [`MAX_RANGES`], no duplicates; empty allows any
/// address. Shown, stored and typed as text (one range a line; the form also takes commas
/// and spaces), sent as a JSON array of CIDR strings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Allowlist(Vec<IpRange>);

impl Allowlist {
    /// The ranges typed in the form: separated by commas, spaces or new lines; duplicates
    /// dropped. Empty: anywhere.
    pub fn parse(text: &str) -> Result<Allowlist, FieldError> {
        let ranges = text
            .split([',', ' ', '\n', '\r', '\t'])
            .filter(|w| !w.is_empty())
            .map(|word| word.parse().map_err(|e| FieldError::new(FIELD, e)))
            .collect::<Result<Vec<IpRange>, _>>()?;
        Allowlist::new(ranges)
    }

    /// The list of `ranges` (duplicates dropped), if there are at most [`MAX_RANGES`].
    pub fn new(ranges: Vec<IpRange>) -> Result<Allowlist, FieldError> {
        let mut unique: Vec<IpRange> = Vec::with_capacity(ranges.len());
        for range in ranges {
            if !unique.contains(&range) {
                unique.push(range);
            }
        }
        if unique.len() > MAX_RANGES {
            return Err(FieldError::new(
                FIELD,
                format!("At most {MAX_RANGES} ranges; combine them into wider ones."),
            ));
        }
        Ok(Allowlist(unique))
    }

    /// Whether a token with this list may be used from `ip`: always when the list is empty;
    /// otherwise only from an address in one of its ranges (an unknown address is not).
    pub fn allows(&self, ip: Option<IpAddr>) -> bool {
        self.0.is_empty() || ip.is_some_and(|ip| self.0.iter().any(|r| r.contains(ip)))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn ranges(&self) -> &[IpRange] {
        &self.0
    }
}

/// One range a line (the stored form, and the text the form shows again).
impl fmt::Display for Allowlist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, range) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{range}")?;
        }
        Ok(())
    }
}

impl FromStr for Allowlist {
    type Err = FieldError;

    fn from_str(text: &str) -> Result<Self, FieldError> {
        Allowlist::parse(text)
    }
}

impl Serialize for Allowlist {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Allowlist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let ranges = Vec::<IpRange>::deserialize(d)?;
        Allowlist::new(ranges).map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_hold_what_their_prefix_says() {
        let list = Allowlist::parse("10.0.0.0/8, 192.168.1.7\n2001:db8::/32 0.0.0.0/0").unwrap();
        assert_eq!(
            list.to_string(),
            "10.0.0.0/8\n192.168.1.7/32\n2001:db8::/32\n0.0.0.0/0"
        );
        assert_eq!(list.to_string().parse::<Allowlist>().unwrap(), list);
        let ranges = list.ranges();
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
        // Written as mapped IPv6, an IPv4 range is the IPv4 range it is.
        let mapped = Allowlist::parse("::ffff:10.0.0.0/104").unwrap();
        assert_eq!(mapped.to_string(), "10.0.0.0/8");
        let loopback = Allowlist::parse("127.0.0.2").unwrap();
        assert!(loopback.allows(Some(ip("::ffff:127.0.0.2"))));
        assert!(!loopback.allows(Some(ip("127.0.0.3"))));
        assert!(!loopback.allows(None), "an unknown address is outside");
        let anywhere = Allowlist::default();
        assert!(anywhere.allows(Some(ip("198.51.100.1"))), "empty: anywhere");
        assert!(anywhere.allows(None));
        assert_eq!(Allowlist::parse(" , \n").unwrap(), anywhere);
        assert_eq!(anywhere.to_string(), "");
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
            ("::ffff:10.0.0.0/8", "prefix length must be 96 to 128"),
        ] {
            let e = Allowlist::parse(bad).unwrap_err();
            assert_eq!(e.field, FIELD);
            assert!(e.message.contains(says), "{bad}: {}", e.message);
        }
        let many: Vec<String> = (0..21).map(|i| format!("10.0.{i}.0/24")).collect();
        assert!(
            Allowlist::parse(&many.join(","))
                .unwrap_err()
                .message
                .contains("At most 20")
        );
        let twenty: Vec<String> = (0..20).map(|i| format!("10.0.{i}.0/24")).collect();
        assert_eq!(
            Allowlist::parse(&twenty.join(",")).unwrap().ranges().len(),
            20
        );
        // Duplicates count once.
        assert_eq!(
            Allowlist::parse("10.0.0.0/8 10.0.0.0/8")
                .unwrap()
                .ranges()
                .len(),
            1
        );
    }

    #[test]
    fn json_is_the_cidr_text() {
        let list = Allowlist::parse("10.0.0.0/8 ::1").unwrap();
        let json = serde_json::to_string(&list).unwrap();
        assert_eq!(json, r#"["10.0.0.0/8","::1/128"]"#);
        let back: Allowlist = serde_json::from_str(&json).unwrap();
        assert_eq!(back, list);
        assert!(serde_json::from_str::<Allowlist>(r#"["10.0.0.1/8"]"#).is_err());
        let many: Vec<String> = (0..21).map(|i| format!("10.0.{i}.0/24")).collect();
        let many = serde_json::to_string(&many).unwrap();
        assert!(
            serde_json::from_str::<Allowlist>(&many).is_err(),
            "the limit holds in JSON too"
        );
    }
}
