//! The virtual clock kept in the state, shared by every process that opens it.

use serde::Serialize;

use super::{bad, rfc3339, Authority, CLOCK_SETTING};
use crate::clock::Clock;
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

    /// Sets and persists the virtual clock (every process sharing the state follows).
    pub fn set_clock(&mut self, clock: Clock) -> Result<ClockView> {
        if let Clock::Fixed { now } = clock {
            if now.year() < 1970 || now.year() > 9999 {
                return Err(bad("now", "must be between 1970 and 9999"));
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
#[derive(Clone, Debug, Serialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockMode {
    /// The machine's clock.
    System,
    /// A fixed instant.
    Fixed,
    /// The machine's clock moved by a number of seconds.
    Offset,
}
