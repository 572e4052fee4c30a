//! Unix seconds as RFC 3339 (UTC, or local time with its offset) and as "in 4m 59s" / "3h ago"
//! (for `inspect` and `expires_at`).

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// `2021-12-27T07:12:08Z`. Years outside 0..=9999 are written as `±YYYYY…` plain numbers would
/// mislead, so they get a clear marker instead.
pub fn rfc3339(unix: i64) -> String {
    rfc3339_at_offset(unix, 0)
}

/// The same instant on the local wall clock, with its UTC offset: `2021-12-27T08:12:08+01:00`.
/// The zone is the C library's (`TZ`, else `/etc/localtime`); when it cannot say, UTC.
pub fn rfc3339_local(unix: i64) -> String {
    rfc3339_at_offset(unix, local_offset(unix).unwrap_or(0))
}

/// RFC 3339 (§5.6) for `unix` seen at `offset` seconds east of UTC; `Z` for UTC itself.
fn rfc3339_at_offset(unix: i64, offset: i64) -> String {
    let Some(wall) = unix.checked_add(offset) else {
        return "(out of range)".to_string();
    };
    let days = wall.div_euclid(86_400);
    let secs = wall.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    if !(0..=9999).contains(&y) {
        return format!("(year {y}, out of range)");
    }
    let zone = if offset == 0 {
        "Z".to_string()
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        // RFC 3339 offsets are whole minutes; the seconds of historical zones (LMT) are dropped.
        let minutes = offset.unsigned_abs() / 60;
        format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
    };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{zone}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Seconds east of UTC of the local zone at `unix` (daylight saving included), or `None` when
/// the C library cannot convert that instant.
// `time_t` and `c_long` are i64 here but 32 bits on some targets, so the conversions stay.
#[allow(clippy::useless_conversion, clippy::unnecessary_cast)]
pub fn local_offset(unix: i64) -> Option<i64> {
    let time: libc::time_t = unix.try_into().ok()?;
    let mut tm = std::mem::MaybeUninit::<libc::tm>::uninit();
    // SAFETY: `time` and `tm` are valid for the call; localtime_r is the re-entrant form that
    // writes only into `tm` (it reads TZ through tzset, which nothing in oauthctl changes while
    // running), and on success, and only then, `tm` is fully initialised.
    let converted = unsafe { libc::localtime_r(&time, tm.as_mut_ptr()) };
    if converted.is_null() {
        return None;
    }
    // SAFETY: localtime_r returned non-null, so it filled `tm`.
    let tm = unsafe { tm.assume_init() };
    Some(tm.tm_gmtoff as i64)
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian), exact for all i64 day counts
/// that correspond to representable years.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days as i128 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    (y.clamp(i64::MIN as i128, i64::MAX as i128) as i64, m, d)
}

/// A duration in its two largest units: `4m 59s`, `3h`, `2d 5h`, `4y 12d`.
pub fn span(secs: u64) -> String {
    const UNITS: [(u64, &str); 5] = [
        (365 * 86_400, "y"),
        (86_400, "d"),
        (3600, "h"),
        (60, "m"),
        (1, "s"),
    ];
    if secs == 0 {
        return "0s".into();
    }
    let mut parts = Vec::new();
    let mut rest = secs;
    for (size, name) in UNITS {
        if rest >= size {
            parts.push(format!("{}{name}", rest / size));
            rest %= size;
        } else if !parts.is_empty() {
            // The second unit is zero: stop, "3h" reads better than "3h 0m".
            break;
        }
        if parts.len() == 2 {
            break;
        }
    }
    parts.join(" ")
}

/// `in 4m 59s` or `3h ago` relative to `now`.
pub fn relative(at: i64, now: i64) -> String {
    if at >= now {
        // abs_diff, not `at - now`: with a clock before 1970 (`now` < 0) and a far `exp`, the
        // difference exceeds i64 (found by fuzz/jwt_decode: overflow panic in debug builds).
        format!("in {}", span(at.abs_diff(now)))
    } else {
        format!("{} ago", span(now.abs_diff(at)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_640_589_128), "2021-12-27T07:12:08Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(253_402_300_799), "9999-12-31T23:59:59Z");
        assert!(rfc3339(253_402_300_800).contains("out of range"));
        assert!(rfc3339(i64::MAX).contains("out of range"));
        assert!(rfc3339(i64::MIN).contains("out of range"));
    }

    #[test]
    fn offsets_are_written_as_rfc3339_wants() {
        assert_eq!(rfc3339_at_offset(1_640_589_128, 0), "2021-12-27T07:12:08Z");
        assert_eq!(
            rfc3339_at_offset(1_640_589_128, 3600),
            "2021-12-27T08:12:08+01:00"
        );
        assert_eq!(
            rfc3339_at_offset(1_640_589_128, -(9 * 3600 + 30 * 60)),
            "2021-12-26T21:42:08-09:30"
        );
        assert_eq!(
            rfc3339_at_offset(1_640_589_128, 8 * 3600 + 45 * 60),
            "2021-12-27T15:57:08+08:45"
        );
        assert!(rfc3339_at_offset(i64::MAX, 3600).contains("out of range"));
        assert!(rfc3339_at_offset(253_402_300_799, 3600).contains("out of range"));
    }

    #[test]
    fn the_local_zone_is_whatever_the_c_library_says() {
        // The zone of the test process is the developer's; only its consistency is checked here
        // (tests/it/output/terminal.rs runs the binary under fixed TZ values).
        let now = now();
        let offset = local_offset(now).expect("now converts");
        assert!(offset.abs() <= 26 * 3600);
        assert_eq!(rfc3339_local(now), rfc3339_at_offset(now, offset));
        assert_eq!(local_offset(i64::MAX), None);
        assert!(rfc3339_local(i64::MAX).contains("out of range"));
    }

    #[test]
    fn spans_use_two_units() {
        assert_eq!(span(299), "4m 59s");
        assert_eq!(span(3 * 3600), "3h");
        assert_eq!(span(3 * 3600 + 59), "3h");
        assert_eq!(span(2 * 86_400 + 5 * 3600 + 7), "2d 5h");
        assert_eq!(span(59), "59s");
        assert_eq!(span(0), "0s");
        assert_eq!(relative(1299, 1000), "in 4m 59s");
        assert_eq!(relative(1000, 1000 + 3 * 3600), "3h ago");
    }
}
