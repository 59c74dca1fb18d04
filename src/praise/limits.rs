//! Rate limits on customer praise: per client (an IPv4 address, an IPv6 /64) and per employee
//! praised, in two layers.
//!
//! - In memory, per instance (GCRA from `governor`), checked before anything else: a flood is
//!   turned away without costing the database anything. Keys not seen for a while are swept by
//!   `sweep`, and at most [`MAX_ADDRESSES`] addresses are tracked at once, so a flood of
//!   distinct addresses cannot grow memory without bound.
//! - In the database, shared by every instance (`praise_budgets`, see [`shared_verdict`]),
//!   taken in the transaction that stores the praise: with N instances behind a load balancer a
//!   client still gets the budget once, not N times.

use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

/// Most client addresses tracked at once (a few MiB). Past it, after a sweep, every address
/// shares one overflow budget until the flood's keys refill and are swept: memory stays bounded,
/// and a flood from more addresses than this gets no more through than one address would.
pub const MAX_ADDRESSES: usize = 50_000;

/// Where addresses go once [`MAX_ADDRESSES`] are tracked.
const OVERFLOW: IpAddr = IpAddr::V6(Ipv6Addr::UNSPECIFIED);

pub struct PraiseLimits {
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    // Employees are looked up by their handle first, so their keys are bounded by the directory.
    per_employee: DefaultKeyedRateLimiter<Uuid>,
    // Second of the last sweep forced by a full table (at most one a second).
    last_full_sweep: AtomicU64,
}

/// Which limit was hit, and how long until one more is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub per: &'static str,
    pub retry_after_secs: u64,
}

impl PraiseLimits {
    pub fn new(per_address_per_hour: u32, per_employee_per_hour: u32) -> Self {
        Self {
            per_address: RateLimiter::keyed(hourly(per_address_per_hour)),
            per_employee: RateLimiter::keyed(hourly(per_employee_per_hour)),
            last_full_sweep: AtomicU64::new(0),
        }
    }

    /// Takes one from the address's budget. Checked before anything is looked up, so a flood
    /// costs no database work.
    pub fn address(&self, address: IpAddr) -> Result<(), Limited> {
        if self.per_address.len() >= MAX_ADDRESSES && !self.sweep_full_table() {
            return take(&self.per_address, &OVERFLOW, "client address");
        }
        take(&self.per_address, &client_key(address), "client address")
    }

    /// Forgets refilled addresses when the table is full (at most once a second, since it
    /// walks the table); says whether there is room again.
    fn sweep_full_table(&self) -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let last = self.last_full_sweep.load(Ordering::Relaxed);
        if now > last
            && self
                .last_full_sweep
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.per_address.retain_recent();
            self.per_address.shrink_to_fit();
        }
        self.per_address.len() < MAX_ADDRESSES
    }

    /// How many client addresses are tracked now.
    pub fn addresses_tracked(&self) -> usize {
        self.per_address.len()
    }

    /// Takes one from the praised employee's budget.
    pub fn employee(&self, employee: Uuid) -> Result<(), Limited> {
        take(&self.per_employee, &employee, "employee")
    }

    /// Forgets keys whose budget has refilled; returns how many keys remain.
    pub fn sweep(&self) -> usize {
        self.per_address.retain_recent();
        self.per_address.shrink_to_fit();
        self.per_employee.retain_recent();
        self.per_employee.shrink_to_fit();
        self.per_address.len() + self.per_employee.len()
    }
}

/// Whether one more use of a shared budget of `per_hour` is allowed, weighing the windows as a
/// sliding hour: the previous hour's count for the part of it still within the last hour, plus
/// this hour's (this use included). When not, how long until it would be.
pub fn shared_verdict(
    budget: crate::models::praise::BudgetUse,
    per_hour: u32,
    per: &'static str,
) -> Result<(), Limited> {
    const HOUR: f64 = 3600.0;
    let seconds_in = budget.seconds_in.clamp(0.0, HOUR);
    let carried = f64::from(budget.previous) * (1.0 - seconds_in / HOUR);
    let limit = f64::from(per_hour.max(1));
    if carried + f64::from(budget.used) <= limit {
        return Ok(());
    }
    // This hour alone is over: wait for the next. Otherwise wait until enough of the previous
    // hour has slid out of the window.
    let wait = if f64::from(budget.used) > limit || budget.previous == 0 {
        HOUR - seconds_in
    } else {
        let room = limit - f64::from(budget.used);
        (HOUR * (1.0 - room / f64::from(budget.previous)) - seconds_in).max(1.0)
    };
    Err(Limited {
        per,
        retry_after_secs: wait.ceil().max(1.0) as u64,
    })
}

/// Whose budget an address spends: an IPv4 address its own; an IPv6 address its /64, the
/// smallest network a provider hands one subscriber (a client rotating through its /64 stays
/// one client); an IPv4 address written as IPv6 (`::ffff:198.51.100.7`, as a dual-stack
/// listener sees IPv4 clients) the IPv4 address's.
pub fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(network))
            }
        },
    }
}

/// `n` an hour, all of which may be used at once (a shop counter may send several in a row).
fn hourly(n: u32) -> Quota {
    let n = NonZeroU32::new(n.max(1)).expect("at least one");
    Quota::per_hour(n).allow_burst(n)
}

fn take<K: Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
    per: &'static str,
) -> Result<(), Limited> {
    limiter.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        Limited {
            per,
            // Round up: a client that waits exactly this long must get through.
            retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_has_its_own_budget() {
        let limits = PraiseLimits::new(2, 100);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limits.address(a).is_ok());
        assert!(limits.address(a).is_ok());
        let limited = limits.address(a).unwrap_err();
        assert!(limited.retry_after_secs > 0 && limited.retry_after_secs <= 1800);
        assert!(limits.address(b).is_ok());
    }

    #[test]
    fn an_ipv6_client_is_its_slash_64_and_a_mapped_ipv4_client_is_its_ipv4_address() {
        let limits = PraiseLimits::new(2, 100);
        // Rotating through one /64 buys nothing.
        for host in ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9"] {
            assert!(limits.address(host.parse().unwrap()).is_ok(), "{host}");
        }
        assert!(
            limits
                .address("2001:db8:1:2:abcd::77".parse().unwrap())
                .is_err()
        );
        // The next /64 is another subscriber.
        assert!(limits.address("2001:db8:1:3::1".parse().unwrap()).is_ok());
        // The same IPv4 client, written two ways, has one budget.
        assert!(limits.address("198.51.100.7".parse().unwrap()).is_ok());
        assert!(
            limits
                .address("::ffff:198.51.100.7".parse().unwrap())
                .is_ok()
        );
        assert!(limits.address("198.51.100.7".parse().unwrap()).is_err());
        assert!(
            limits
                .address("::ffff:198.51.100.7".parse().unwrap())
                .is_err()
        );
        assert_eq!(
            client_key("::ffff:198.51.100.7".parse().unwrap()),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn the_shared_budget_slides_over_the_hour() {
        use crate::models::praise::BudgetUse;
        let at = |used, previous, seconds_in| BudgetUse {
            used,
            previous,
            seconds_in,
        };
        assert!(shared_verdict(at(5, 0, 10.0), 5, "x").is_ok());
        let over = shared_verdict(at(6, 0, 600.0), 5, "x").unwrap_err();
        assert_eq!(over.retry_after_secs, 3000);
        // Half an hour in, half of the previous hour still counts: 4 * 0.5 + 3 = 5 is fine,
        // one more is not, and the wait is until a quarter of it has slid out.
        assert!(shared_verdict(at(3, 4, 1800.0), 5, "x").is_ok());
        let over = shared_verdict(at(4, 4, 1800.0), 5, "x").unwrap_err();
        assert_eq!(over.retry_after_secs, 900);
        assert!(shared_verdict(at(4, 4, 2700.0), 5, "x").is_ok());
    }

    #[test]
    fn a_flood_of_100000_addresses_keeps_the_table_bounded_and_still_limited() {
        let limits = PraiseLimits::new(20, 100);
        let mut allowed = 0;
        for n in 0..100_000u32 {
            let address = IpAddr::from([10, (n >> 16) as u8, (n >> 8) as u8, n as u8]);
            if limits.address(address).is_ok() {
                allowed += 1;
            }
        }
        assert!(
            limits.addresses_tracked() <= MAX_ADDRESSES + 1,
            "{} addresses tracked",
            limits.addresses_tracked()
        );
        // The first MAX_ADDRESSES each had their own budget; the rest shared one (and no sweep
        // could free room: every budget was just used).
        assert_eq!(allowed, MAX_ADDRESSES + 20);
        // A known address over the cap is limited with the overflow, not let through.
        let first = IpAddr::from([10, 0, 0, 0]);
        assert!(limits.address(first).is_err());
    }
}
