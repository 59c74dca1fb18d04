//! Rate limits on customer praise: per client address and per employee praised.
//!
//! In memory, per instance (GCRA from `governor`): with N instances behind a load balancer a
//! client gets at most N times the budget, which still stops a flood. Keys not seen for a while
//! are swept by `sweep`, so a flood of distinct addresses cannot grow memory without bound.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

pub struct PraiseLimits {
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    per_employee: DefaultKeyedRateLimiter<Uuid>,
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
        }
    }

    /// Takes one from the address's budget. Checked before anything is looked up, so a flood
    /// costs no database work.
    pub fn address(&self, address: IpAddr) -> Result<(), Limited> {
        take(&self.per_address, &address, "client address")
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
}
