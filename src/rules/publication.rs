//! When a change becomes visible (profile.md, "Publication"): J-LIS publishes the CRL
//! once a day and refreshes the OCSP responder's data every 15 minutes. A change made
//! at instant t is visible from the first boundary strictly after t; boundaries are
//! counted from 00:00 JST. Pure: the caller says what "now" is.

use std::fmt;
use std::str::FromStr;

use time::{Duration, OffsetDateTime, Time};

use super::jst;

/// How often one kind of data (CRL or OCSP) is published.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Schedule {
    /// Every change is visible at once (the default, as in wave 1).
    #[default]
    Immediate,
    /// Once a day at this JST time of day.
    Daily(Time),
    /// Every this many minutes, counted from 00:00 JST (a divisor of a day or not:
    /// the count restarts at each midnight).
    EveryMinutes(u32),
}

impl Schedule {
    /// The OCSP schedule of `publication.ocsp_refresh_minutes` (0 = immediate).
    pub fn every_minutes(minutes: u32) -> Self {
        if minutes == 0 {
            Schedule::Immediate
        } else {
            Schedule::EveryMinutes(minutes)
        }
    }

    /// The last boundary at or before `now`; `None` when immediate.
    pub fn last_boundary(self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        if self == Schedule::Immediate {
            // The OCSP hot path asks on every request: no date arithmetic.
            return None;
        }
        let midnight = jst::start_of_day(jst::date_of(now));
        match self {
            Schedule::Immediate => None,
            Schedule::Daily(at) => {
                let today = midnight + (at - Time::MIDNIGHT);
                Some(if today <= now {
                    today
                } else {
                    today - Duration::DAY
                })
            }
            Schedule::EveryMinutes(minutes) => {
                let step = Duration::minutes(i64::from(minutes));
                let steps = (now - midnight).whole_seconds() / step.whole_seconds();
                Some(midnight + step * steps as i32)
            }
        }
    }

    /// The first boundary strictly after `now`; `None` when immediate.
    pub fn next_boundary(self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        let last = self.last_boundary(now)?;
        Some(match self {
            Schedule::EveryMinutes(minutes) => {
                // Refresh boundaries restart at each JST midnight.
                let midnight = jst::start_of_day(jst::date_of(now)) + Duration::DAY;
                (last + Duration::minutes(i64::from(minutes))).min(midnight)
            }
            _ => last + Duration::DAY,
        })
    }
}

/// What is visible at an instant: changes recorded strictly before `cutoff`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Published {
    /// The publication instant: the last boundary, or a later publish-now.
    pub at: OffsetDateTime,
    /// Changes recorded before this instant are visible.
    pub cutoff: OffsetDateTime,
}

/// What `schedule` has published at `now`, given the last explicit publish-now
/// (`published_now`, which makes everything recorded up to it visible). `None` when
/// every change is visible at once.
pub fn published(
    schedule: Schedule,
    now: OffsetDateTime,
    published_now: Option<OffsetDateTime>,
) -> Option<Published> {
    let boundary = schedule.last_boundary(now)?;
    // A publish-now in the clock's future (the clock went back) has not happened yet.
    match published_now.filter(|&p| p <= now && p >= boundary) {
        // Everything recorded up to and including that instant (seconds are stored).
        Some(p) => Some(Published {
            at: p,
            cutoff: p + Duration::SECOND,
        }),
        None => Some(Published {
            at: boundary,
            cutoff: boundary,
        }),
    }
}

impl FromStr for Schedule {
    type Err = String;

    /// `immediate` or `daily HH:MM` (JST).
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "{text:?} is not a CRL schedule: expected \"immediate\" or \"daily HH:MM\" (JST)"
            )
        };
        if text == "immediate" {
            return Ok(Schedule::Immediate);
        }
        let clock = text.strip_prefix("daily ").ok_or_else(bad)?;
        let (hours, minutes) = clock.split_once(':').ok_or_else(bad)?;
        if hours.len() != 2 || minutes.len() != 2 {
            return Err(bad());
        }
        let hours: u8 = hours.parse().map_err(|_| bad())?;
        let minutes: u8 = minutes.parse().map_err(|_| bad())?;
        Time::from_hms(hours, minutes, 0)
            .map(Schedule::Daily)
            .map_err(|_| bad())
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Immediate => f.write_str("immediate"),
            Schedule::Daily(at) => write!(f, "daily {:02}:{:02}", at.hour(), at.minute()),
            Schedule::EveryMinutes(m) => write!(f, "every {m} minutes"),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::{datetime, time};

    use super::*;

    #[test]
    fn a_daily_boundary_is_at_that_jst_time() {
        let daily: Schedule = "daily 03:00".parse().unwrap();
        assert_eq!(daily, Schedule::Daily(time!(03:00)));
        // 02:59:59 JST: still yesterday's 03:00.
        let before = datetime!(2026-04-01 02:59:59 +09:00);
        assert_eq!(
            daily.last_boundary(before),
            Some(datetime!(2026-03-31 03:00 +09:00))
        );
        assert_eq!(
            daily.next_boundary(before),
            Some(datetime!(2026-04-01 03:00 +09:00))
        );
        let on = datetime!(2026-04-01 03:00 +09:00);
        assert_eq!(daily.last_boundary(on), Some(on));
        assert_eq!(
            daily.next_boundary(on),
            Some(datetime!(2026-04-02 03:00 +09:00))
        );
        assert_eq!(daily.to_string(), "daily 03:00");
    }

    #[test]
    fn refresh_boundaries_count_from_jst_midnight() {
        let every = Schedule::every_minutes(15);
        let t = datetime!(2026-04-01 10:07:30 +09:00);
        assert_eq!(
            every.last_boundary(t),
            Some(datetime!(2026-04-01 10:00 +09:00))
        );
        assert_eq!(
            every.next_boundary(t),
            Some(datetime!(2026-04-01 10:15 +09:00))
        );
        // 7 minutes does not divide a day: the last step before midnight is short.
        let seven = Schedule::every_minutes(7);
        let late = datetime!(2026-04-01 23:59 +09:00);
        assert_eq!(
            seven.last_boundary(late),
            Some(datetime!(2026-04-01 23:55 +09:00))
        );
        assert_eq!(
            seven.next_boundary(late),
            Some(datetime!(2026-04-02 00:00 +09:00))
        );
        assert_eq!(Schedule::every_minutes(0), Schedule::Immediate);
    }

    #[test]
    fn a_change_at_t_is_visible_from_the_first_boundary_after_t() {
        let every = Schedule::every_minutes(15);
        let changed = datetime!(2026-04-01 10:00 +09:00);
        // Recorded exactly on a boundary: that boundary's data was already taken.
        let at = |now| published(every, now, None).unwrap().cutoff;
        assert!(changed >= at(changed));
        assert!(changed >= at(datetime!(2026-04-01 10:14:59 +09:00)));
        assert!(changed < at(datetime!(2026-04-01 10:15 +09:00)));
        assert!(published(Schedule::Immediate, changed, None).is_none());
    }

    #[test]
    fn publish_now_shows_everything_recorded_up_to_it_until_the_next_boundary_passes_it() {
        let every = Schedule::every_minutes(15);
        let now = datetime!(2026-04-01 10:07 +09:00);
        let p = published(every, now, Some(now)).unwrap();
        assert_eq!(p.at, now);
        assert!(now < p.cutoff);
        // A later boundary supersedes it.
        let later = datetime!(2026-04-01 10:16 +09:00);
        assert_eq!(
            published(every, later, Some(now)).unwrap().at,
            datetime!(2026-04-01 10:15 +09:00)
        );
        // A publish-now in the clock's future has not happened yet.
        let earlier = datetime!(2026-04-01 10:05 +09:00);
        assert_eq!(
            published(every, earlier, Some(now)).unwrap().at,
            datetime!(2026-04-01 10:00 +09:00)
        );
    }

    #[test]
    fn bad_schedules_are_refused_with_the_expected_forms() {
        for text in [
            "daily",
            "daily 3:00",
            "daily 24:00",
            "daily 03:60",
            "hourly",
            "daily 03:00 ",
        ] {
            let error = text.parse::<Schedule>().unwrap_err();
            assert!(error.contains("daily HH:MM"), "{text}: {error}");
        }
    }

    proptest! {
        #[test]
        fn the_last_boundary_is_at_most_now_and_the_next_after_it(
            seconds in 0i64..4_000_000_000,
            minutes in 1u32..1500,
            hour in 0u8..24,
        ) {
            let now = OffsetDateTime::from_unix_timestamp(seconds).unwrap();
            for schedule in [Schedule::every_minutes(minutes), Schedule::Daily(Time::from_hms(hour, 0, 0).unwrap())] {
                let last = schedule.last_boundary(now).unwrap();
                let next = schedule.next_boundary(now).unwrap();
                prop_assert!(last <= now && now < next, "{schedule}: {last} {now} {next}");
                prop_assert!(next - last <= Duration::DAY);
                prop_assert_eq!(schedule.last_boundary(next), Some(next));
            }
        }
    }
}
