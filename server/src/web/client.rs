//! Who the client is, for the per-client sign-in limit: the peer address, or, when the peer
//! is one of the `trusted_proxies`, the last address in `X-Forwarded-For` that is not a
//! trusted proxy (proxies append the address they received from). The header of anyone else
//! is ignored: otherwise each request could claim a new address.

use std::net::IpAddr;

use actix_web::HttpRequest;

/// The parsed `trusted_proxies` setting.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpAddr>);

impl TrustedProxies {
    /// Parses the setting; an entry that is not an IP address names itself in the error.
    pub fn parse(entries: &[String]) -> anyhow::Result<TrustedProxies> {
        entries
            .iter()
            .map(|e| {
                e.trim()
                    .parse::<IpAddr>()
                    .map_err(|_| anyhow::anyhow!("trusted_proxies: \"{e}\" is not an IP address"))
            })
            .collect::<anyhow::Result<Vec<_>>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: &IpAddr) -> bool {
        self.0.contains(ip)
    }

    /// The client's address; unspecified when the connection has none (never in service).
    pub fn client_of(&self, req: &HttpRequest) -> IpAddr {
        let peer = req
            .peer_addr()
            .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
        if !self.trusts(&peer) {
            return peer;
        }
        let forwarded: Vec<IpAddr> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !self.trusts(ip))
            .unwrap_or(peer)
    }
}
