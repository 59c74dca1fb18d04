//! Where a webhook may point. A receiver is reached over https (plain http only outside
//! production mode), with no user name or password in the URL, and never at a private,
//! loopback, link-local or otherwise internal address unless
//! `SHOUTOUT_WEBHOOKS_ALLOW_PRIVATE=true`. The address rule holds where it matters: on the
//! addresses the connection is actually made to (the resolver below hands the HTTP client only
//! allowed ones), so a name that resolves to an internal address later (DNS rebinding) cannot
//! reach it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// What an endpoint URL must satisfy, beside the address rule.
pub struct UrlRules {
    pub https_only: bool,
    pub allow_private: bool,
}

impl UrlRules {
    /// The rules the configuration sets: https alone in production, private addresses only
    /// when allowed.
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            https_only: config.mode == crate::config::Mode::Production,
            allow_private: config.webhooks_allow_private,
        }
    }
}

/// The URL, checked; else why not.
pub fn check_url(text: &str, rules: &UrlRules) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("is not a URL ({e})"))?;
    match url.scheme() {
        "https" => {}
        "http" if !rules.https_only => {}
        "http" => return Err("must use https in production mode".into()),
        other => return Err(format!("must be an https URL, not {other}:")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password".into());
    }
    if url.fragment().is_some() {
        return Err("must not have a #fragment".into());
    }
    let ip = match url.host() {
        None => return Err("has no host".into()),
        Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(Host::Domain(name)) => {
            if !rules.allow_private && is_internal_name(name) {
                return Err(format!(
                    "points at an internal host ({name}); set SHOUTOUT_WEBHOOKS_ALLOW_PRIVATE=true \
                     for receivers on your own network"
                ));
            }
            None
        }
    };
    if let Some(ip) = ip
        && !rules.allow_private
        && is_internal(ip)
    {
        return Err(format!(
            "points at an internal address ({ip}); set SHOUTOUT_WEBHOOKS_ALLOW_PRIVATE=true for \
             receivers on your own network"
        ));
    }
    Ok(url)
}

/// Names that only mean something inside a network.
fn is_internal_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.ends_with(".internal")
        || name.ends_with(".local")
        || !name.contains('.')
}

/// Whether an address is one no outside receiver has: loopback, private (RFC 1918, unique
/// local), link-local (and so cloud metadata services), shared (CGNAT), unspecified, multicast,
/// broadcast, documentation and benchmarking ranges, and IPv4 embedded in IPv6 that is any of
/// these.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal_v4(v4);
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                // NAT64 (64:ff9b::/96) and IPv4-compatible (::/96) addresses carry an IPv4 one.
                || (s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0])
                    && is_internal_v4(embedded_v4(v6))
                || (s[..6] == [0, 0, 0, 0, 0, 0]) && is_internal_v4(embedded_v4(v6))
        }
    }
}

fn embedded_v4(v6: Ipv6Addr) -> Ipv4Addr {
    let o = v6.octets();
    Ipv4Addr::new(o[12], o[13], o[14], o[15])
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, _, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

/// The resolver the delivery client uses: the system's, with internal addresses removed
/// (unless allowed), so the client can only connect to addresses that passed the rule.
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|addr| allow_private || !is_internal(addr.ip()))
                .collect();
            if allowed.is_empty() {
                let why = if found.is_empty() {
                    format!("{host} has no address")
                } else {
                    format!("{host} resolves only to internal addresses, which are refused")
                };
                return Err(why.into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

impl GuardedResolver {
    pub fn shared(allow_private: bool) -> Arc<Self> {
        Arc::new(Self { allow_private })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> UrlRules {
        UrlRules {
            https_only: false,
            allow_private: false,
        }
    }

    #[test]
    fn internal_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "255.255.255.255",
            "224.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_are_checked() {
        assert!(check_url("https://hooks.example.com/x", &open()).is_ok());
        assert!(check_url("http://hooks.example.com/x", &open()).is_ok());
        let prod = UrlRules {
            https_only: true,
            allow_private: false,
        };
        assert!(check_url("http://hooks.example.com/x", &prod).is_err());
        for bad in [
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "https://127.0.0.1/",
            "https://[::1]:8080/",
            "https://localhost/",
            "https://metadata.google.internal/",
            "https://0x7f000001/",
            "not a url",
        ] {
            assert!(check_url(bad, &open()).is_err(), "{bad}");
        }
        let private = UrlRules {
            https_only: false,
            allow_private: true,
        };
        assert!(check_url("http://127.0.0.1:9000/hook", &private).is_ok());
    }
}
