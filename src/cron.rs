//! Cron schedules as the controllers that run them read them.
//!
//! Kubernetes (the CronJob API validation and controller) and the Kubeflow Spark operator
//! (ScheduledSparkApplication) both parse schedules with robfig/cron v3's `ParseStandard`:
//! five fields (minute, hour, day of month, month, day of week), each a list of `*`, `?`,
//! numbers, ranges `a-b` and steps `/n`, with month and weekday names (`JAN`, `sun`), or a
//! descriptor (`@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`,
//! `@hourly`, `@every <Go duration>`). [`parse_standard`] is that grammar: every form it
//! refuses comes with the reason and a hint (Quartz's `L`, `W` and `#`, a seconds field, a
//! weekday 7). It is a little stricter than the parser where the parser's reading is
//! surely a mistake: an empty list item (robfig skips it, so `1,,2` is `1,2` and `,` is
//! never), a schedule whose days never occur (`0 0 30 2 *`), an `@every` under a second.
//! What each controller adds around it (Kubernetes refuses `TZ` in the schedule; the
//! operator reads a `CRON_TZ=` prefix) is the targets' own check. [`runs`] lists when a
//! schedule runs in a window, as robfig/cron's `Next` finds the times.

/// Why a schedule is refused: the message and a hint.
pub type Refusal = (String, String);

/// The descriptors robfig/cron knows, besides `@every`.
pub const MACROS: &[&str] = &[
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];

const FIVE_FIELDS: &str = "write minute hour day-of-month month day-of-week, e.g. `0 3 * * *`";

/// One of the five fields: its name, bounds and names.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
    },
    Field {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: &[],
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: MONTHS,
    },
    Field {
        name: "day-of-week",
        min: 0,
        max: 6,
        names: WEEKDAYS,
    },
];

/// The bit robfig/cron sets for `*` and `?` (it changes how the two day fields combine).
const STAR: u64 = 1 << 63;

/// Checks `spec` as robfig/cron v3's `ParseStandard` reads it (after any `TZ=` prefix, which
/// the callers handle), `Err` with the reason and a hint when it is refused.
pub fn parse_standard(spec: &str) -> Result<(), Refusal> {
    let shown = crate::rules::escape_short(spec);
    if spec.is_empty() {
        return Err(("the schedule is empty".to_owned(), FIVE_FIELDS.to_owned()));
    }
    if spec.starts_with('@') {
        return descriptor(spec, &shown);
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        let hint = match fields.len() {
            _ if spec.trim().starts_with('@') => {
                "remove the spaces before the macro: the parser reads it only at the start"
                    .to_owned()
            }
            6 | 7 => format!(
                "Kubernetes cron has no seconds or year field (this looks like a Quartz or Spring expression): {FIVE_FIELDS}"
            ),
            _ => FIVE_FIELDS.to_owned(),
        };
        return Err((
            format!(
                "`{shown}` has {} field{}; a cron expression has 5",
                fields.len(),
                if fields.len() == 1 { "" } else { "s" }
            ),
            hint,
        ));
    }
    let mut bits = [0u64; 5];
    for ((text, field), out) in fields.iter().zip(&FIELDS).zip(&mut bits) {
        *out = parse_field(text, field)
            .map_err(|(why, hint)| (format!("`{shown}` is not a valid schedule: {why}"), hint))?;
    }
    never_runs(bits[2], bits[3], bits[4]).map_or(Ok(()), |why| {
        Err((
            format!("`{shown}` never runs: {why}"),
            "the parser accepts it, but the controller finds no time to run it: pick a day that one of the chosen months has, or `*`".to_owned(),
        ))
    })
}

/// The five fields of a macro, as robfig/cron expands it.
fn expand(spec: &str) -> Option<&'static str> {
    Some(match spec {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        _ => return None,
    })
}

/// When `spec` runs from `from` (exclusive) to `until` (inclusive), read in `time_zone`
/// (default UTC; a `CRON_TZ=`/`TZ=` prefix wins), at most `limit` times. `None` when the
/// schedule or the zone is not valid.
pub fn runs(
    spec: &str,
    time_zone: Option<&str>,
    from: jiff::Timestamp,
    until: jiff::Timestamp,
    limit: usize,
) -> Option<Vec<jiff::Timestamp>> {
    let (zone, spec) = match spec
        .strip_prefix("CRON_TZ=")
        .or_else(|| spec.strip_prefix("TZ="))
    {
        Some(rest) => {
            let (zone, spec) = rest.split_once(' ')?;
            (Some(zone), spec.trim())
        }
        None => (time_zone, spec.trim()),
    };
    let tz = jiff::tz::TimeZone::get(zone.unwrap_or("Etc/UTC")).ok()?;
    parse_standard(spec).ok()?;
    let mut out = Vec::new();
    if let Some(every) = spec.strip_prefix("@every ") {
        // robfig/cron: every whole second of the duration, counted from the start.
        #[allow(clippy::cast_possible_truncation)]
        let step = jiff::SignedDuration::from_secs(go_duration_seconds(every)?.max(1.0) as i64);
        let mut t = from.checked_add(step).ok()?;
        while t <= until && out.len() < limit {
            out.push(t);
            t = t.checked_add(step).ok()?;
        }
        return Some(out);
    }
    let fields: Vec<&str> = expand(spec).unwrap_or(spec).split_whitespace().collect();
    let mut bits = [0u64; 5];
    for ((text, field), out) in fields.iter().zip(&FIELDS).zip(&mut bits) {
        *out = parse_field(text, field).ok()?;
    }
    let [minute, hour, dom, month, dow] = bits;
    let has = |set: u64, v: i8| u8::try_from(v).is_ok_and(|v| set & (1 << v) != 0);
    let day = |z: &jiff::Zoned| {
        let (d, w) = (
            has(dom, z.day()),
            has(dow, z.weekday().to_sunday_zero_offset()),
        );
        if dom & STAR != 0 || dow & STAR != 0 {
            d && w
        } else {
            d || w
        }
    };
    // Minute by minute from the next whole minute, skipping hours that cannot match.
    let start = from.checked_add(jiff::SignedDuration::from_secs(60)).ok()?;
    let mut t =
        jiff::Timestamp::from_second(start.as_second() - start.as_second().rem_euclid(60)).ok()?;
    while t <= until && out.len() < limit {
        let z = t.to_zoned(tz.clone());
        if !(has(month, z.month()) && day(&z) && has(hour, z.hour())) {
            let skip = 60 - i64::from(z.minute());
            t = t
                .checked_add(jiff::SignedDuration::from_secs(skip * 60))
                .ok()?;
            continue;
        }
        if has(minute, z.minute()) {
            out.push(t);
        }
        t = t.checked_add(jiff::SignedDuration::from_secs(60)).ok()?;
    }
    Some(out)
}

/// `@...`: one of the macros, or `@every <duration>`.
fn descriptor(spec: &str, shown: &str) -> Result<(), Refusal> {
    if MACROS.contains(&spec) {
        return Ok(());
    }
    if let Some(duration) = spec.strip_prefix("@every ") {
        return match go_duration_seconds(duration) {
            Some(s) if s >= 1.0 => Ok(()),
            Some(_) => Err((
                format!("`{shown}` runs every second"),
                "robfig/cron raises any delay under a second to one second: write a positive duration such as `@every 1h30m`".to_owned(),
            )),
            None => Err((
                format!("`{shown}` is not a valid `@every` schedule"),
                "write a Go duration after one space, such as `@every 1h30m` (units h, m, s, ms, us, ns)".to_owned(),
            )),
        };
    }
    let hint = if MACROS.contains(&spec.trim()) || spec.trim().starts_with("@every ") {
        "remove the spaces after it: the parser compares the whole text".to_owned()
    } else if spec.starts_with("@every") {
        "write a Go duration after one space, such as `@every 1h30m`".to_owned()
    } else if spec == "@reboot" {
        "a CronJob has no `@reboot`: run the job once without `schedule`".to_owned()
    } else {
        format!(
            "use one of {}, `@every <duration>`, or five fields",
            MACROS.join(", ")
        )
    };
    Err((
        format!("`{shown}` is not a cron macro Kubernetes knows"),
        hint,
    ))
}

/// The bits of one field (bit N for value N, plus [`STAR`]), or why it is refused.
fn parse_field(text: &str, field: &Field) -> Result<u64, Refusal> {
    let mut bits = 0;
    for item in text.split(',') {
        if item.is_empty() {
            return Err((
                format!("the {} field `{text}` has an empty list item", field.name),
                "remove the extra comma (the parser skips an empty item, so this is most likely a typo)".to_owned(),
            ));
        }
        bits |= parse_item(item, field)?;
    }
    Ok(bits)
}

/// One list item: `*`, `?`, `N`, `a-b`, each with an optional `/step`.
fn parse_item(item: &str, field: &Field) -> Result<u64, Refusal> {
    let range_step: Vec<&str> = item.split('/').collect();
    if range_step.len() > 2 {
        return Err((
            format!("`{item}` has more than one `/`"),
            "write a range and one step, e.g. `0-30/5`".to_owned(),
        ));
    }
    let low_high: Vec<&str> = range_step[0].split('-').collect();
    let (start, mut end, mut star) = if low_high[0] == "*" || low_high[0] == "?" {
        // robfig/cron ignores whatever follows `*-`.
        (field.min, field.max, true)
    } else {
        let start = value(low_high[0], item, field)?;
        let end = match low_high.len() {
            1 => start,
            2 => value(low_high[1], item, field)?,
            _ => {
                return Err((
                    format!("`{item}` has more than one `-`"),
                    "write a range as `low-high`, e.g. `1-5`".to_owned(),
                ));
            }
        };
        (start, end, false)
    };
    let mut step = 1;
    if let Some(text) = range_step.get(1) {
        step = number(text).ok_or_else(|| {
            (
                format!("the step of `{item}` is not a number"),
                "write the step as a whole number, e.g. `*/15`".to_owned(),
            )
        })?;
        // `N/step` means `N-max/step`.
        if low_high.len() == 1 {
            end = field.max;
        }
        if step > 1 {
            star = false;
        }
    }
    if start < field.min || end > field.max {
        let hint = if field.name == "day-of-week" && (start == 7 || end == 7) {
            "Sunday is 0 (or `SUN`); the parser Kubernetes uses does not accept 7".to_owned()
        } else {
            format!("the {} field takes {}-{}", field.name, field.min, field.max)
        };
        let bad = if start < field.min { start } else { end };
        return Err((
            format!(
                "{} is outside the {} field's {}-{}",
                within(&bad.to_string(), item),
                field.name,
                field.min,
                field.max
            ),
            hint,
        ));
    }
    if start > end {
        return Err((
            format!("the range `{item}` starts after it ends"),
            format!(
                "write the lower bound first; a range cannot wrap around (write `{end}-{}` and `{}-{start}` as two items instead)",
                field.max, field.min
            ),
        ));
    }
    if step == 0 {
        return Err((
            format!("the step of `{item}` is 0"),
            "write a positive step, e.g. `*/5`".to_owned(),
        ));
    }
    // Within the bounds now: every value is below 60, under the star bit.
    let mut bits: u64 = if star { STAR } else { 0 };
    let mut v = start;
    while v <= end {
        bits |= 1 << v;
        v = v.saturating_add(step);
    }
    Ok(bits)
}

/// `` `7` `` alone, or `` `7` in `5-7` `` inside a larger item.
fn within(text: &str, item: &str) -> String {
    if text == item {
        format!("`{text}`")
    } else {
        format!("`{text}` in `{item}`")
    }
}

/// A number or a name of `field` inside `item`, or why not (with the Quartz forms named).
fn value(text: &str, item: &str, field: &Field) -> Result<u32, Refusal> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = field.names.iter().position(|n| *n == lower) {
        return Ok(u32::try_from(i).unwrap_or(0) + field.min);
    }
    if let Some(n) = number(text) {
        return Ok(n);
    }
    if text.is_empty() {
        return Err((
            format!("`{item}` is missing a number"),
            format!(
                "the {} field takes {}-{} (no negative numbers)",
                field.name, field.min, field.max
            ),
        ));
    }
    let day_field = field.name == "day-of-month" || field.name == "day-of-week";
    let hint = if field.names.is_empty()
        && (MONTHS.contains(&lower.as_str()) || WEEKDAYS.contains(&lower.as_str()))
    {
        format!(
            "the {} field takes numbers only; names are for the month (JAN-DEC) and day-of-week (SUN-SAT) fields",
            field.name
        )
    } else if day_field && text.contains(['L', 'l', 'W', 'w', '#']) {
        "`L`, `W` and `#` (last, nearest weekday, N-th weekday) are Quartz extensions that Kubernetes and the operator (robfig/cron) do not know: pick fixed days, or run daily and check the date in the job".to_owned()
    } else if !field.names.is_empty() {
        format!(
            "the {} field takes {}-{} or the names {}-{}",
            field.name,
            field.min,
            field.max,
            field.names[0].to_ascii_uppercase(),
            field.names[field.names.len() - 1].to_ascii_uppercase()
        )
    } else {
        format!(
            "the {} field takes {}-{}, `*`, ranges `a-b`, steps `/n` and lists `a,b`",
            field.name, field.min, field.max
        )
    };
    Err((
        format!("{} is not a {} value", within(text, item), field.name),
        hint,
    ))
}

/// A whole number as Go's `strconv.Atoi` reads it (an optional `+`), refusing negatives.
fn number(text: &str) -> Option<u32> {
    let n: i64 = text.parse().ok()?;
    u32::try_from(n).ok()
}

/// Why no day matches, if none does: robfig/cron combines the two day fields with AND when
/// either is `*` or `?`, else with OR; with AND and any weekday, a day of the month must
/// exist in one of the months.
fn never_runs(dom: u64, month: u64, dow: u64) -> Option<String> {
    if dow & STAR == 0 || dom & STAR != 0 {
        return None;
    }
    const DAYS: [usize; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let first_day = (1..=31usize).find(|d| dom & (1 << d) != 0)?;
    let chosen = || (1..=12usize).filter(|m| month & (1 << m) != 0);
    (!chosen().any(|m| first_day <= DAYS[m - 1])).then(|| {
        let names: Vec<String> = chosen()
            .map(|m| MONTHS[m - 1].to_ascii_uppercase())
            .collect();
        format!(
            "no month chosen ({}) has a day {first_day}",
            names.join(", ")
        )
    })
}

/// The length of a Go duration (`time.ParseDuration`: `1h30m`, `1.5h`, `300ms`, a sign,
/// `0`) in seconds, or `None` when Go refuses it.
pub fn go_duration_seconds(text: &str) -> Option<f64> {
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(digits);
        let (whole, fraction) = num.split_once('.').unwrap_or((num, ""));
        if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
            return None;
        }
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, next) = tail.split_at(unit_len);
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        let value: f64 = format!("0{whole}.{fraction}0").parse().ok()?;
        total += value * scale;
        rest = next;
    }
    // Go refuses a duration beyond an int64 of nanoseconds (about 292 years).
    (total <= 9.2e9).then_some(if negative { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn refused(spec: &str, message: &str, hint: &str) {
        let (m, h) = parse_standard(spec).expect_err(spec);
        assert!(m.contains(message), "{spec}: {m}");
        assert!(h.contains(hint), "{spec}: {h}");
    }

    #[test]
    fn what_kubernetes_accepts() {
        for spec in [
            "@hourly",
            "@yearly",
            "@annually",
            "@midnight",
            "0 */6 * * 1-5",
            "30 3 * * SUN",
            "30 3 * * sun",
            "0 3 * JAN-MAR,dec MON-FRI",
            "*/15 * * * *",
            "5/10 * * * *",
            "0 0 ? * *",
            "0 0 1,15 * *",
            "0 0 29 2 *",
            "0 0 31 1-12 *",
            "0 0 30 2 MON",
            "  0 3 * * *  ",
            "+5 3 * * *",
            "*/61 * * * *",
            "@every 1h30m",
            "@every 1.5h",
            "@every 90s",
        ] {
            assert_eq!(parse_standard(spec), Ok(()), "{spec}");
        }
    }

    #[test]
    fn quartz_forms_are_refused_with_a_hint() {
        refused("* * L * *", "`L` is not a day-of-month value", "Quartz");
        refused("* * * * 7L", "`7L` is not a day-of-week value", "Quartz");
        refused("* * 31W * *", "`31W`", "Quartz");
        refused("* * * * SUN-SAT#5", "`SAT#5` in `SUN-SAT#5`", "Quartz");
        refused("1,,2 * * * *", "empty list item", "extra comma");
        refused(", * * * *", "empty list item", "extra comma");
        refused("0 0 3 * * *", "has 6 fields", "no seconds");
        refused("0 0 3 * * ? 2026", "has 7 fields", "Quartz");
        refused("0 0 * * 7", "`7` is outside", "Sunday is 0");
        refused("0 0 * * 5-7", "`7` in `5-7` is outside", "Sunday is 0");
        refused("61 * * * *", "outside the minute field's 0-59", "0-59");
        refused("0 0 0 * *", "`0` is outside", "1-31");
        refused("0 0 * MON *", "`MON` is not a month value", "JAN-DEC");
        refused("MON 0 * * *", "not a minute value", "numbers only");
        refused("*/0 * * * *", "step of `*/0` is 0", "positive step");
        refused("*/x * * * *", "not a number", "whole number");
        refused("1-2-3 * * * *", "more than one `-`", "low-high");
        refused("1/2/3 * * * *", "more than one `/`", "one step");
        refused("0 22-2 * * *", "starts after it ends", "two items");
        refused("-1 * * * *", "`-1` is missing a number", "no negative");
        refused("0 0 30 2 *", "never runs", "pick a day");
        refused("0 0 31 4,6,9,11 *", "never runs", "pick a day");
        refused("@every", "not a cron macro", "`@every 1h30m`");
        refused("@every 3 minutes", "not a valid `@every`", "Go duration");
        refused("@every 1d", "not a valid `@every`", "Go duration");
        refused("@every 0s", "every second", "positive duration");
        refused("@every -1h", "every second", "positive duration");
        refused("@daily ", "not a cron macro", "remove the spaces");
        refused(" @daily", "has 1 field", "remove the spaces");
        refused("@reboot", "not a cron macro", "without `schedule`");
        refused("@fortnightly", "not a cron macro", "@hourly");
        refused("", "empty", "minute hour");
    }

    #[test]
    fn go_durations() {
        let good = [
            ("1h30m", 5400.0),
            ("1.5h", 5400.0),
            (".5m", 30.0),
            ("1.m", 60.0),
            ("0", 0.0),
            ("-2s", -2.0),
            ("300ms", 0.3),
            ("2\u{b5}s", 2e-6),
        ];
        for (text, seconds) in good {
            assert_eq!(go_duration_seconds(text), Some(seconds), "{text}");
        }
        for bad in ["", "1", "h", ".", "1x", "1h 30m", "1..5h", "300000000h"] {
            assert_eq!(go_duration_seconds(bad), None, "{bad}");
        }
    }
}
