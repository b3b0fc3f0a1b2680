//! Polish public holidays (dni ustawowo wolne od pracy) and business-day arithmetic.

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let n = h + l - 7 * m + 114;
    let month = u32::try_from(n.div_euclid(31)).ok()?;
    let day = u32::try_from(n.rem_euclid(31) + 1).ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Public holidays of `year` under current law, sorted by date.
///
/// Trzech Króli counts from 2011 and Wigilia from 2025, when they became
/// holidays; older changes (before 1990) are not modelled.
pub fn polish_public_holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let fixed = |month: u32, day: u32, name: &'static str| {
        NaiveDate::from_ymd_opt(year, month, day).map(|d| (d, name))
    };
    let easter = easter_sunday(year);
    let after_easter = |days: u64, name: &'static str| {
        easter
            .and_then(|e| e.checked_add_days(Days::new(days)))
            .map(|d| (d, name))
    };

    let mut holidays: Vec<(NaiveDate, &'static str)> = [
        fixed(1, 1, "Nowy Rok"),
        (year >= 2011)
            .then(|| fixed(1, 6, "Trzech Króli"))
            .flatten(),
        easter.map(|d| (d, "Wielkanoc")),
        after_easter(1, "Poniedziałek Wielkanocny"),
        fixed(5, 1, "Święto Pracy"),
        fixed(5, 3, "Święto Konstytucji 3 Maja"),
        after_easter(49, "Zesłanie Ducha Świętego"),
        after_easter(60, "Boże Ciało"),
        fixed(8, 15, "Wniebowzięcie NMP"),
        fixed(11, 1, "Wszystkich Świętych"),
        fixed(11, 11, "Narodowe Święto Niepodległości"),
        (year >= 2025).then(|| fixed(12, 24, "Wigilia")).flatten(),
        fixed(12, 25, "Boże Narodzenie"),
        fixed(12, 26, "Drugi dzień Bożego Narodzenia"),
    ]
    .into_iter()
    .flatten()
    .collect();
    holidays.sort_by_key(|(date, _)| *date);
    holidays
}

pub fn is_polish_public_holiday(date: NaiveDate) -> bool {
    polish_public_holidays(date.year())
        .iter()
        .any(|(d, _)| *d == date)
}

fn is_business_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !is_polish_public_holiday(date)
}

/// The date `days` business days after `start` (skipping weekends and Polish
/// public holidays); `start` itself is returned for 0 even if it is a day off.
/// Stops at the last date chrono can represent.
pub fn add_business_days(start: NaiveDate, days: u32) -> NaiveDate {
    let mut date = start;
    let mut left = days;
    while left > 0 {
        let Some(next) = date.succ_opt() else {
            return date;
        };
        date = next;
        if is_business_day(date) {
            left -= 1;
        }
    }
    date
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn easter_dates() {
        assert_eq!(easter_sunday(2024), Some(d(2024, 3, 31)));
        assert_eq!(easter_sunday(2025), Some(d(2025, 4, 20)));
        assert_eq!(easter_sunday(2026), Some(d(2026, 4, 5)));
        assert_eq!(easter_sunday(2027), Some(d(2027, 3, 28)));
        // Extremes of the possible range.
        assert_eq!(easter_sunday(2285), Some(d(2285, 3, 22)));
        assert_eq!(easter_sunday(2038), Some(d(2038, 4, 25)));
    }

    #[test]
    fn movable_feasts_2026() {
        let h = polish_public_holidays(2026);
        assert!(h.contains(&(d(2026, 4, 5), "Wielkanoc")));
        assert!(h.contains(&(d(2026, 4, 6), "Poniedziałek Wielkanocny")));
        assert!(h.contains(&(d(2026, 5, 24), "Zesłanie Ducha Świętego")));
        assert!(h.contains(&(d(2026, 6, 4), "Boże Ciało")));
    }

    #[test]
    fn wigilia_is_a_holiday_from_2025() {
        assert!(is_polish_public_holiday(d(2026, 12, 24)));
        assert!(is_polish_public_holiday(d(2025, 12, 24)));
        assert!(!is_polish_public_holiday(d(2024, 12, 24)));
        assert_eq!(polish_public_holidays(2026).len(), 14);
        assert_eq!(polish_public_holidays(2024).len(), 13);
    }

    #[test]
    fn holidays_are_sorted_and_distinct() {
        for year in 2000..2100 {
            let h = polish_public_holidays(year);
            assert!(h.windows(2).all(|w| w[0].0 < w[1].0), "{year}");
            assert!(h.iter().all(|(date, _)| date.year() == year));
        }
    }

    #[test]
    fn ordinary_days_are_not_holidays() {
        assert!(!is_polish_public_holiday(d(2026, 6, 3)));
        assert!(!is_polish_public_holiday(d(2026, 12, 23)));
    }

    #[test]
    fn business_days_across_christmas_2026() {
        // Wed 23 Dec; 24–26 are holidays, 26–27 also a weekend.
        assert_eq!(add_business_days(d(2026, 12, 23), 1), d(2026, 12, 28));
        assert_eq!(add_business_days(d(2026, 12, 22), 2), d(2026, 12, 28));
        assert_eq!(add_business_days(d(2026, 12, 23), 4), d(2026, 12, 31));
        // 1 Jan is a holiday, 2–3 Jan a weekend.
        assert_eq!(add_business_days(d(2026, 12, 23), 5), d(2027, 1, 4));
        // 6 Jan (Wednesday) is Trzech Króli.
        assert_eq!(add_business_days(d(2027, 1, 5), 1), d(2027, 1, 7));
    }

    #[test]
    fn zero_business_days_is_the_same_day() {
        assert_eq!(add_business_days(d(2026, 12, 25), 0), d(2026, 12, 25));
    }

    #[test]
    fn business_days_skip_weekends() {
        // Friday + 1 is Monday.
        assert_eq!(add_business_days(d(2026, 3, 6), 1), d(2026, 3, 9));
    }
}
