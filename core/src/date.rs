use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A calendar date (proleptic Gregorian), as the policy counts days: clause 1.6 speaks of
/// "7 calendar days from publication", not of hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CalendarDate {
    days_since_epoch: i64,
}

impl CalendarDate {
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Option<CalendarDate> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(CalendarDate {
            days_since_epoch: days_from_civil(year, month, day),
        })
    }

    /// The UTC date of a Unix timestamp in seconds.
    pub fn from_unix_seconds(seconds: i64) -> CalendarDate {
        CalendarDate {
            days_since_epoch: seconds.div_euclid(86_400),
        }
    }

    pub fn parse(text: &str) -> Option<CalendarDate> {
        let mut parts = text.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        CalendarDate::from_ymd(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    }

    pub fn add_days(self, days: i64) -> CalendarDate {
        CalendarDate {
            days_since_epoch: self.days_since_epoch + days,
        }
    }

    /// Unix seconds at 00:00 UTC of this date.
    pub fn unix_seconds(self) -> i64 {
        self.days_since_epoch * 86_400
    }

    pub fn ymd(self) -> (i64, u32, u32) {
        civil_from_days(self.days_since_epoch)
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days: exact for every Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
pub const KAZAKHSTAN_UTC_OFFSET_MS: i64 = 5 * 3_600_000;

/// An instant, in milliseconds since the Unix epoch; written as RFC 3339 UTC in the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn millis(self) -> i64 {
        self.0
    }

    /// The date in UTC: only for writing the timestamp itself.
    pub fn utc_date(self) -> CalendarDate {
        CalendarDate::from_unix_seconds(self.0.div_euclid(1000))
    }

    /// The calendar date in Kazakhstan (Asia/Almaty, UTC+5 all year since 1 March 2024): the
    /// date the policy's days are counted in (1.6), and the one shown to users.
    pub fn kazakhstan_date(self) -> CalendarDate {
        Timestamp(self.0 + KAZAKHSTAN_UTC_OFFSET_MS).utc_date()
    }

    /// The date and minute in Kazakhstan, as a person reads a time: `2026-11-30 04:10`.
    pub fn kazakhstan_minute(self) -> String {
        let local = Timestamp(self.0 + KAZAKHSTAN_UTC_OFFSET_MS);
        let minute_of_day = local.0.rem_euclid(DAY_MS) / 60_000;
        let (h, m) = (minute_of_day / 60, minute_of_day % 60);
        format!("{} {h:02}:{m:02}", local.utc_date())
    }

    /// Parses an RFC 3339 date-time: `2026-11-25T14:00:00.123Z` as this type writes it, and
    /// any offset (`+05:00`) or precision a client sends; what is finer than a millisecond is
    /// dropped. A leap second counts as the last millisecond of its minute.
    pub fn parse(text: &str) -> Option<Timestamp> {
        let (date, time) = text.split_once(['T', 't'])?;
        let (clock, offset_minutes) = split_offset(time)?;
        let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
        let two = |t: &str| {
            (t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.parse::<i64>().ok())
                .flatten()
        };
        let mut parts = hms.split(':').map(two);
        let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
        let bad_fraction = (clock.contains('.') && fraction.is_empty())
            || !fraction.bytes().all(|b| b.is_ascii_digit());
        if parts.next().is_some() || h > 23 || m > 59 || s > 60 || bad_fraction {
            return None;
        }
        let millis: i64 = if s == 60 {
            999
        } else {
            format!("{:0<3}", &fraction[..fraction.len().min(3)])
                .parse()
                .ok()?
        };
        let s = s.min(59);
        let day = CalendarDate::parse(date)?.unix_seconds();
        let local = (day + h * 3600 + m * 60 + s) * 1000 + millis;
        Some(Timestamp(local - offset_minutes * 60_000))
    }
}

/// A time of day and its offset from UTC in minutes: `Z`, `z`, `+05:00` or `-03:30`.
fn split_offset(time: &str) -> Option<(&str, i64)> {
    if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    let at = time.rfind(['+', '-'])?;
    let (clock, offset) = time.split_at(at);
    let (sign, hhmm) = offset.split_at(1);
    let (hh, mm) = hhmm.split_once(':')?;
    if hh.len() != 2 || mm.len() != 2 {
        return None;
    }
    let (hh, mm): (i64, i64) = (hh.parse().ok()?, mm.parse().ok()?);
    if hh > 23 || mm > 59 {
        return None;
    }
    let minutes = hh * 60 + mm;
    Some((clock, if sign == "-" { -minutes } else { minutes }))
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms_of_day = self.0.rem_euclid(DAY_MS);
        let (h, m) = (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60);
        let (s, ms) = (ms_of_day / 1000 % 60, ms_of_day % 1000);
        write!(f, "{}T{h:02}:{m:02}:{s:02}.{ms:03}Z", self.utc_date())
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
