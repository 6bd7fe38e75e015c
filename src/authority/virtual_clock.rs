//! The virtual clock kept in the state, shared by every process that opens it.

use serde::Serialize;
use utoipa::ToSchema;

use super::{bad, rfc3339, Authority, CLOCK_SETTING};
use crate::clock::{Clock, LAST_YEAR};
use crate::error::{Error, Result};

impl Authority {
    /// The virtual clock.
    pub fn clock_view(&self) -> ClockView {
        ClockView {
            mode: match self.clock {
                Clock::System => ClockMode::System,
                Clock::Fixed { .. } => ClockMode::Fixed,
                Clock::Offset { .. } => ClockMode::Offset,
            },
            now: rfc3339(self.now()),
            offset_seconds: match self.clock {
                Clock::Offset { offset_seconds } => Some(offset_seconds),
                _ => None,
            },
            overridden_by_now_option: self.now_override.is_some(),
        }
    }

    /// Where `now` comes from, for a refusal that blames it.
    pub(super) fn clock_name(&self) -> &'static str {
        if self.now_override.is_some() {
            "--now"
        } else if matches!(self.clock, Clock::System) {
            "the real clock"
        } else {
            "the virtual clock (`jpki-mock clock show`, GET /api/v1/clock)"
        }
    }

    /// Sets and persists the virtual clock (every process sharing the state follows).
    pub fn set_clock(&mut self, clock: Clock) -> Result<ClockView> {
        if let Clock::Fixed { now } = clock {
            // Judged in UTC, the zone the clock is stored and printed in.
            let year = now
                .checked_to_offset(time::UtcOffset::UTC)
                .map(|t| t.year());
            if !year.is_some_and(|year| (1970..=LAST_YEAR).contains(&year)) {
                return Err(bad(
                    "now",
                    format!("must be between 1970 and {LAST_YEAR} (UTC)"),
                ));
            }
        }
        if let Clock::Offset { offset_seconds } = clock {
            if offset_seconds.unsigned_abs() > 200 * 365 * 86_400 {
                return Err(bad("offset_seconds", "must be within ±200 years"));
            }
        }
        let json = serde_json::to_string(&clock)
            .map_err(|e| Error::Internal(format!("clock encoding: {e}")))?;
        self.store.put_setting(CLOCK_SETTING, &json)?;
        self.clock = clock;
        Ok(self.clock_view())
    }
}

/// The virtual clock, as reported.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ClockView {
    /// system | fixed | offset.
    pub mode: ClockMode,
    /// The clock's now, RFC 3339.
    pub now: String,
    /// Seconds ahead of real time (offset mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset_seconds: Option<i64>,
    /// Whether a `--now` given at start-up overrides this clock.
    pub overridden_by_now_option: bool,
}

/// How the virtual clock tells the time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ClockMode {
    /// The machine's clock.
    System,
    /// A fixed instant.
    Fixed,
    /// The machine's clock moved by a number of seconds.
    Offset,
}

/// The end of a refusal whose time came from the clock: how to move it.
pub(super) const MOVE_THE_CLOCK: &str = "move the clock past it (`jpki-mock clock reset` or \
     DELETE /api/v1/clock for real time)";

#[cfg(test)]
mod tests {
    use time::{Duration, OffsetDateTime};

    use super::super::tests::{at, authority_at, authority_on_clock, bad_input};
    use super::super::{stored_clock, Authority};
    use super::ClockMode;
    use crate::clock::Clock;

    const NOW: &str = "2021-03-15T10:00:00+09:00";
    const LIMIT: i64 = 200 * 365 * 86_400;

    fn fixed(now: &str) -> Clock {
        Clock::Fixed { now: at(now) }
    }

    fn offset(offset_seconds: i64) -> Clock {
        Clock::Offset { offset_seconds }
    }

    /// Sets a clock and checks that the view, `now()` and the stored setting follow.
    fn set(a: &mut Authority, clock: Clock, mode: ClockMode, offset: Option<i64>) {
        let view = a.set_clock(clock).unwrap();
        assert_eq!((view.mode, view.offset_seconds), (mode, offset));
        assert!(!view.overridden_by_now_option);
        assert_eq!(view.now, crate::clock::rfc3339(a.now()));
        assert_eq!(stored_clock(a.store()).unwrap(), clock);
    }

    #[test]
    fn fixed_offset_and_system_round_trip() {
        let mut a = authority_on_clock(NOW);
        assert_eq!(a.now(), at(NOW));
        set(
            &mut a,
            fixed("2030-01-02T12:04:05+09:00"),
            ClockMode::Fixed,
            None,
        );
        assert_eq!(a.clock_view().now, "2030-01-02T03:04:05Z");

        set(&mut a, offset(86_400), ClockMode::Offset, Some(86_400));
        let ahead = a.now() - OffsetDateTime::now_utc() - Duration::days(1);
        assert!(ahead.abs() < Duration::seconds(5), "{ahead}");
        set(&mut a, offset(-LIMIT), ClockMode::Offset, Some(-LIMIT));

        set(&mut a, Clock::System, ClockMode::System, None);
        let behind = OffsetDateTime::now_utc() - a.now();
        assert!(behind.abs() < Duration::seconds(5), "{behind}");
    }

    #[test]
    fn out_of_range_values_are_bad_input_and_change_nothing() {
        let mut a = authority_on_clock(NOW);
        for (clock, field) in [
            (fixed("1969-12-31T23:59:59Z"), "now: "),
            (offset(LIMIT + 1), "offset_seconds: "),
            (offset(-LIMIT - 1), "offset_seconds: "),
        ] {
            let message = bad_input(a.set_clock(clock));
            assert!(message.starts_with(field), "{message}");
            assert_eq!(a.now(), at(NOW));
            assert_eq!(a.clock_view().mode, ClockMode::Fixed);
            assert_eq!(stored_clock(a.store()).unwrap(), fixed(NOW));
        }
    }

    #[test]
    fn the_now_option_overrides_the_virtual_clock() {
        let mut a = authority_at(NOW);
        let view = a.clock_view();
        assert!(view.overridden_by_now_option);
        assert_eq!(
            (view.mode, view.now),
            (ClockMode::System, "2021-03-15T01:00:00Z".into())
        );
        // The clock is stored and reported, but `now` stays the option's.
        let view = a.set_clock(fixed("2030-01-01")).unwrap();
        assert_eq!(
            (view.mode, view.now),
            (ClockMode::Fixed, "2021-03-15T01:00:00Z".into())
        );
        assert_eq!(a.now(), at(NOW));
        assert!(
            !authority_on_clock(NOW)
                .clock_view()
                .overridden_by_now_option
        );
    }

    // 9999-12-31T23:00:00-05:00 is year 10000 in UTC, where `clock::rfc3339` would
    // panic. `parse_instant` refuses it; `set_clock`, given it by code, must too.
    #[test]
    fn a_fixed_clock_past_9999_in_utc_is_bad_input_not_a_panic() {
        let mut a = authority_on_clock(NOW);
        let now = time::macros::datetime!(9999-12-31 23:00 -5);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            a.set_clock(Clock::Fixed { now })
        }));
        let message = bad_input(result.expect("set_clock panicked"));
        assert!(message.starts_with("now: "), "{message}");
        assert_eq!(stored_clock(a.store()).unwrap(), fixed(NOW));
    }

    // The same check lets 1970-01-01T08:59:59+09:00 (1969-12-31T23:59:59Z) through.
    #[test]
    fn a_fixed_clock_before_1970_in_utc_is_bad_input() {
        let mut a = authority_on_clock(NOW);
        let message = bad_input(a.set_clock(fixed("1970-01-01T08:59:59+09:00")));
        assert!(message.starts_with("now: "), "{message}");
    }
}
