//! Dates and instants as the policy and the API count them, on the `time` crate: a calendar
//! date for the policy's days (1.6), an instant in milliseconds for everything recorded, and
//! Kazakhstan's one time zone for what users are shown.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, Month, OffsetDateTime, UtcOffset};

/// A calendar date (proleptic Gregorian), as the policy counts days: clause 1.6 speaks of
/// "7 calendar days from publication", not of hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CalendarDate(Date);

impl CalendarDate {
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Option<CalendarDate> {
        let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
        let day = u8::try_from(day).ok()?;
        Date::from_calendar_date(i32::try_from(year).ok()?, month, day)
            .ok()
            .map(CalendarDate)
    }

    /// The UTC date of a Unix timestamp in seconds.
    pub fn from_unix_seconds(seconds: i64) -> CalendarDate {
        CalendarDate(Timestamp(seconds.saturating_mul(1000)).utc().date())
    }

    /// `YYYY-MM-DD`, and nothing else.
    pub fn parse(text: &str) -> Option<CalendarDate> {
        let mut parts = text.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        let digits =
            |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
        if parts.next().is_some() || !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
            return None;
        }
        CalendarDate::from_ymd(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    }

    pub fn add_days(self, days: i64) -> CalendarDate {
        let limit = if days < 0 { Date::MIN } else { Date::MAX };
        CalendarDate(self.0.checked_add(Duration::days(days)).unwrap_or(limit))
    }

    /// Unix seconds at 00:00 UTC of this date.
    pub fn unix_seconds(self) -> i64 {
        self.0.midnight().assume_utc().unix_timestamp()
    }

    pub fn ymd(self) -> (i64, u32, u32) {
        let (year, month, day) = self.0.to_calendar_date();
        (i64::from(year), u8::from(month).into(), day.into())
    }
}

impl fmt::Display for CalendarDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl Serialize for CalendarDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CalendarDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        CalendarDate::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a date (YYYY-MM-DD)")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_is_shown_as_in_kazakhstan_to_the_minute() {
        let late_evening_utc = Timestamp::parse("2026-11-29T23:10:28.139Z").unwrap();
        assert_eq!(late_evening_utc.kazakhstan_minute(), "2026-11-30 04:10");
        let before_epoch = Timestamp::parse("1969-12-31T18:59:59.999Z").unwrap();
        assert_eq!(before_epoch.kazakhstan_minute(), "1969-12-31 23:59");
    }

    #[test]
    fn seven_calendar_days_cross_month_and_leap_day() {
        let d = CalendarDate::parse("2028-02-25").unwrap();
        assert_eq!(d.add_days(7).to_string(), "2028-03-03");
        let d = CalendarDate::parse("2026-12-28").unwrap();
        assert_eq!(d.add_days(7).to_string(), "2027-01-04");
    }

    #[test]
    fn round_trips_and_rejects_impossible_dates() {
        assert_eq!(CalendarDate::parse("1970-01-01").unwrap().unix_seconds(), 0);
        assert_eq!(
            CalendarDate::from_unix_seconds(1_764_028_800).to_string(),
            "2025-11-25"
        );
        assert!(CalendarDate::parse("2026-02-29").is_none());
        assert!(CalendarDate::parse("2026-13-01").is_none());
        assert!(CalendarDate::parse("26-1-1").is_none());
    }
}

/// A day in milliseconds (UTC has no leap seconds in Unix time).
pub const DAY_MS: i64 = 86_400_000;

/// Asia/Almaty's offset from UTC. Kazakhstan has kept one time zone, UTC+5, with no daylight
/// saving time since 1 March 2024.
pub const KAZAKHSTAN: UtcOffset = match UtcOffset::from_hms(5, 0, 0) {
    Ok(offset) => offset,
    Err(_) => panic!("UTC+5 is an offset"),
};

/// An instant, in milliseconds since the Unix epoch; written as RFC 3339 UTC in the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn millis(self) -> i64 {
        self.0
    }

    /// The instant in UTC; one past what `time` can hold (±9999 years) is held at its end.
    fn utc(self) -> OffsetDateTime {
        let nanos = i128::from(self.0) * 1_000_000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(if self.0 < 0 {
            Date::MIN.midnight().assume_utc()
        } else {
            Date::MAX.midnight().assume_utc()
        })
    }

    /// The date in UTC: only for writing the timestamp itself.
    pub fn utc_date(self) -> CalendarDate {
        CalendarDate(self.utc().date())
    }

    /// The calendar date in Kazakhstan: the date the policy's days are counted in (1.6), and
    /// the one shown to users.
    pub fn kazakhstan_date(self) -> CalendarDate {
        CalendarDate(self.utc().to_offset(KAZAKHSTAN).date())
    }

    /// The date and minute in Kazakhstan, as a person reads a time: `2026-11-30 04:10`.
    pub fn kazakhstan_minute(self) -> String {
        let local = self.utc().to_offset(KAZAKHSTAN);
        let (h, m) = (local.hour(), local.minute());
        format!("{} {h:02}:{m:02}", CalendarDate(local.date()))
    }

    /// Parses an RFC 3339 date-time: `2026-11-25T14:00:00.123Z` as this type writes it, and
    /// any offset (`+05:00`) or precision to the nanosecond a client sends; what is finer than
    /// a millisecond is dropped. A leap second counts as the last moment of its minute.
    pub fn parse(text: &str) -> Option<Timestamp> {
        let instant = OffsetDateTime::parse(text, &Rfc3339).ok()?;
        let millis = instant.unix_timestamp_nanos().div_euclid(1_000_000);
        i64::try_from(millis).ok().map(Timestamp)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.utc();
        let (h, m, s, ms) = (t.hour(), t.minute(), t.second(), t.millisecond());
        write!(
            f,
            "{}T{h:02}:{m:02}:{s:02}.{ms:03}Z",
            CalendarDate(t.date())
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not a UTC time like 2026-11-25T14:00:00.000Z"
            ))
        })
    }
}

#[cfg(test)]
mod timestamp_tests {
    use super::*;

    #[test]
    fn writes_and_reads_rfc3339_utc() {
        let t = Timestamp(1_764_079_200_123);
        assert_eq!(t.to_string(), "2025-11-25T14:00:00.123Z");
        assert_eq!(Timestamp::parse(&t.to_string()), Some(t));
        assert_eq!(
            Timestamp::parse("2025-11-25T14:00:00Z"),
            Some(Timestamp(1_764_079_200_000))
        );
        assert!(Timestamp::parse("2025-11-25 14:00:00").is_none());
        assert_eq!(
            Timestamp::parse("2025-11-25T19:00:00.1234567+05:00"),
            Timestamp::parse("2025-11-25T14:00:00.123Z"),
            "an offset, and digits past the millisecond"
        );
        assert_eq!(
            Timestamp::parse("2025-11-25t14:00:00z"),
            Timestamp::parse("2025-11-25T14:00:00Z")
        );
        for bad in [
            "2025-11-25T14:00:00",
            "2025-11-25T14:00:00.Z",
            "2025-11-25T24:00:00Z",
            "2025-11-25T14:00:00+5:00",
            "2025-02-30T14:00:00Z",
            "2025-11-25T+1:00:00Z",
        ] {
            assert!(Timestamp::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_kazakhstan_date_turns_at_almaty_midnight_not_utc_midnight() {
        let almaty_midnight = Timestamp::parse("2026-11-30T19:00:00.000Z").unwrap();
        assert_eq!(
            Timestamp(almaty_midnight.0 - 1)
                .kazakhstan_date()
                .to_string(),
            "2026-11-30"
        );
        assert_eq!(almaty_midnight.kazakhstan_date().to_string(), "2026-12-01");
        assert_eq!(almaty_midnight.utc_date().to_string(), "2026-11-30");
    }
}
