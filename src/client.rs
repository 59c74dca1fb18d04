//! Who is on the other end of a request: the client address, believing `X-Forwarded-For` only
//! from configured trusted proxies.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The client's address. When the direct peer is a trusted proxy, the forwarded chain is read
/// from the right (the hop nearest us) and the first address that is not itself a trusted
/// proxy is the client; a client cannot push itself past a proxy by sending its own header,
/// because the proxy appends the address it really saw.
pub fn address(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip())?;
    if !is_trusted(peer, trusted) {
        return Some(peer);
    }
    let mut chain: Vec<IpAddr> = Vec::new();
    for value in req.headers().get_all("x-forwarded-for") {
        let Ok(value) = value.to_str() else {
            return Some(peer);
        };
        for hop in value.split(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => chain.push(ip),
                // A garbled chain cannot be trusted past the proxy that sent it.
                Err(_) => return Some(peer),
            }
        }
    }
    Some(
        chain
            .iter()
            .rev()
            .copied()
            .find(|&ip| !is_trusted(ip, trusted))
            .or_else(|| chain.first().copied())
            .unwrap_or(peer),
    )
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    trusted.iter().any(|net| net.contains(&ip))
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn request(peer: &str, forwarded: Option<&str>) -> HttpRequest {
        let mut req = TestRequest::default().peer_addr(format!("{peer}:4000").parse().unwrap());
        if let Some(f) = forwarded {
            req = req.insert_header(("X-Forwarded-For", f));
        }
        req.to_http_request()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let req = request("203.0.113.9", Some("198.51.100.1"));
        assert_eq!(
            address(&req, &nets(&["10.0.0.0/8"])),
            Some("203.0.113.9".parse().unwrap())
        );
    }

    #[test]
    fn behind_trusted_proxies_the_nearest_untrusted_hop_is_the_client() {
        let trusted = nets(&["10.0.0.0/8"]);
        // The client claimed 1.1.1.1; the edge proxy appended what it saw.
        let req = request("10.0.0.2", Some("1.1.1.1, 198.51.100.7, 10.0.0.5"));
        assert_eq!(
            address(&req, &trusted),
            Some("198.51.100.7".parse().unwrap())
        );
        let req = request("10.0.0.2", None);
        assert_eq!(address(&req, &trusted), Some("10.0.0.2".parse().unwrap()));
        let req = request("10.0.0.2", Some("not-an-ip"));
        assert_eq!(address(&req, &trusted), Some("10.0.0.2".parse().unwrap()));
    }
}
