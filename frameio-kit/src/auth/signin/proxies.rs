//! [`ProxyRange`]: one trusted proxy address, or a CIDR range of them.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// A trusted proxy: one IP address (`10.0.0.2`, `::1`) or a CIDR range of them
/// (`10.0.0.0/8`, `fd00::/8`, `::1/128`), for
/// [`UserAuthBuilder::trusted_proxies`](super::UserAuthBuilder::trusted_proxies).
///
/// IPv4 peers that reach a dual-stack listener as IPv4-mapped IPv6 addresses
/// (`::ffff:10.0.0.2`) match IPv4 ranges.
///
/// ```
/// use frameio_kit::auth::ProxyRange;
///
/// let range: ProxyRange = "10.0.0.0/8".parse()?;
/// assert!(range.contains("10.1.2.3".parse()?));
/// assert!(!range.contains("11.0.0.1".parse()?));
/// assert!("10.0.0.1/8".parse::<ProxyRange>().is_err()); // host bits set
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProxyRange {
    network: IpAddr,
    prefix_len: u8,
}

/// Why a [`ProxyRange`] could not be parsed or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyRangeError {
    /// The text is neither an IP address nor `address/prefix-length`.
    #[error("{0:?} is not an IP address or a CIDR range such as 10.0.0.0/8")]
    Syntax(String),
    /// The prefix length is longer than the address (32 bits for IPv4, 128 for IPv6).
    #[error("{text:?}: the prefix length is at most {max}")]
    PrefixLength {
        /// The range as given.
        text: String,
        /// 32 or 128.
        max: u8,
    },
    /// The address has bits set beyond the prefix length (`10.0.0.1/8`).
    #[error("{text:?} has bits set beyond its prefix length; did you mean {suggestion}?")]
    HostBits {
        /// The range as given.
        text: String,
        /// The network address with those bits cleared.
        suggestion: String,
    },
}

fn bits(addr: IpAddr) -> (u128, u8) {
    match addr {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    }
}

/// The mask of the `prefix_len` leading bits of a `width`-bit address (`prefix_len <= width`).
fn mask(prefix_len: u8, width: u8) -> u128 {
    if prefix_len == 0 {
        return 0;
    }
    let all = if width == 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    // At most 127 host bits here, so the shift cannot overflow.
    let host_bits = u32::from(width - prefix_len);
    all & !((1u128 << host_bits) - 1)
}

fn from_bits(value: u128, like: IpAddr) -> IpAddr {
    match like {
        IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::from(
            u32::try_from(value).unwrap_or(u32::MAX),
        )),
        IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::from(value)),
    }
}

impl ProxyRange {
    /// The range of `prefix_len` leading bits of `network`.
    ///
    /// # Errors
    ///
    /// When `prefix_len` is longer than the address, or `network` has bits set beyond it.
    pub fn new(network: IpAddr, prefix_len: u8) -> Result<Self, ProxyRangeError> {
        let network = network.to_canonical();
        let text = format!("{network}/{prefix_len}");
        let (value, width) = bits(network);
        if prefix_len > width {
            return Err(ProxyRangeError::PrefixLength { text, max: width });
        }
        let masked = value & mask(prefix_len, width);
        if masked != value {
            return Err(ProxyRangeError::HostBits {
                text,
                suggestion: format!("{}/{prefix_len}", from_bits(masked, network)),
            });
        }
        Ok(Self {
            network,
            prefix_len,
        })
    }

    /// Whether `peer` is in the range.
    pub fn contains(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        if peer.is_ipv4() != self.network.is_ipv4() {
            return false;
        }
        let (value, width) = bits(peer);
        let (network, _) = bits(self.network);
        value & mask(self.prefix_len, width) == network
    }
}

impl From<IpAddr> for ProxyRange {
    /// Exactly this address (`/32` or `/128`).
    fn from(addr: IpAddr) -> Self {
        let addr = addr.to_canonical();
        let (_, width) = bits(addr);
        Self {
            network: addr,
            prefix_len: width,
        }
    }
}

impl FromStr for ProxyRange {
    type Err = ProxyRangeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let syntax = || ProxyRangeError::Syntax(text.to_owned());
        let Some((addr, len)) = trimmed.split_once('/') else {
            return trimmed
                .parse::<IpAddr>()
                .map(Self::from)
                .map_err(|_| syntax());
        };
        let addr: IpAddr = addr.parse().map_err(|_| syntax())?;
        if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) {
            return Err(syntax());
        }
        let (_, width) = bits(addr.to_canonical());
        let prefix_len = len
            .parse::<u8>()
            .map_err(|_| ProxyRangeError::PrefixLength {
                text: text.to_owned(),
                max: width,
            })?;
        Self::new(addr, prefix_len).map_err(|err| match err {
            ProxyRangeError::PrefixLength { max, .. } => ProxyRangeError::PrefixLength {
                text: text.to_owned(),
                max,
            },
            ProxyRangeError::HostBits { suggestion, .. } => ProxyRangeError::HostBits {
                text: text.to_owned(),
                suggestion,
            },
            other => other,
        })
    }
}

impl TryFrom<&str> for ProxyRange {
    type Error = ProxyRangeError;

    fn try_from(text: &str) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl TryFrom<String> for ProxyRange {
    type Error = ProxyRangeError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl fmt::Display for ProxyRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_contain_their_addresses_only() {
        let r: ProxyRange = "10.0.0.0/8".parse().unwrap();
        assert!(r.contains(ip("10.0.0.0")));
        assert!(r.contains(ip("10.255.255.255")));
        assert!(r.contains(ip("::ffff:10.1.2.3")), "IPv4-mapped");
        assert!(!r.contains(ip("11.0.0.0")));
        assert!(!r.contains(ip("9.255.255.255")));
        assert!(!r.contains(ip("::1")));

        let one: ProxyRange = "::1/128".parse().unwrap();
        assert!(one.contains(ip("::1")));
        assert!(!one.contains(ip("::2")));
        assert!(!one.contains(ip("127.0.0.1")));

        let v6: ProxyRange = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12:3456::1")));
        assert!(!v6.contains(ip("fe80::1")));

        let all: ProxyRange = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")));
        assert!(!all.contains(ip("::1")));
        let all6: ProxyRange = "::/0".parse().unwrap();
        assert!(all6.contains(ip("2001:db8::1")));

        let exact: ProxyRange = "192.168.1.7".parse().unwrap();
        assert_eq!(exact.to_string(), "192.168.1.7/32");
        assert!(exact.contains(ip("192.168.1.7")));
        assert!(!exact.contains(ip("192.168.1.8")));
        assert_eq!(
            ProxyRange::from(ip("::ffff:10.0.0.2")).to_string(),
            "10.0.0.2/32"
        );

        let odd: ProxyRange = "172.16.0.0/12".parse().unwrap();
        assert!(odd.contains(ip("172.31.255.255")));
        assert!(!odd.contains(ip("172.32.0.0")));
    }

    #[test]
    fn bad_ranges_are_clear_errors() {
        for bad in [
            "",
            "10.0.0",
            "10.0.0.0/",
            "10.0.0.0/x",
            "/8",
            "host.example/8",
            "10.0.0.0/-1",
        ] {
            assert!(
                matches!(bad.parse::<ProxyRange>(), Err(ProxyRangeError::Syntax(_))),
                "{bad}"
            );
        }
        for (bad, max) in [("10.0.0.0/33", 32), ("::/129", 128), ("10.0.0.0/300", 32)] {
            assert_eq!(
                bad.parse::<ProxyRange>(),
                Err(ProxyRangeError::PrefixLength {
                    text: bad.to_owned(),
                    max
                })
            );
        }
        let err = "10.0.0.1/8".parse::<ProxyRange>().unwrap_err();
        assert!(err.to_string().contains("did you mean 10.0.0.0/8"), "{err}");
        let err = "fd00::1/8".parse::<ProxyRange>().unwrap_err();
        assert!(err.to_string().contains("did you mean fd00::/8"), "{err}");
    }
}
