//! Which addresses the outside world lives at: everything but loopback,
//! private (RFC 1918, RFC 4193), shared (RFC 6598), link-local, multicast,
//! documentation, benchmarking, reserved and unspecified ranges, including
//! IPv4 addresses written as IPv6 (`::ffff:127.0.0.1`, NAT64 `64:ff9b::/96`).
//! The IANA special-purpose registries list them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` may be called without `outbound_allow_private`.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => public_v6(v6),
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let internal = ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240;
    !internal
}

fn public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return public_v4(v4);
    }
    let segments = ip.segments();
    let [first, second, ..] = segments;
    if first == 0x64 && second == 0xff9b {
        let [.., g, h] = segments;
        let [a, b] = g.to_be_bytes();
        let [c, d] = h.to_be_bytes();
        return public_v4(Ipv4Addr::new(a, b, c, d));
    }
    let internal = ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        || (first == 0x2001 && second == 0x0db8)
        || segments.iter().take(6).all(|s| *s == 0);
    !internal
}
