//! The SLA clock against hand-counted cases on the real 2026 calendar, a regression test for
//! each way the peers get it wrong, and a seeded random run of pauses, resumes and time
//! passing that checks the clock's promises after every step.

use calendar::{Calendar, CalendarSpec};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use tickets::{Clock, Limit, Signal};

/// A Hangzhou water utility's service hours: weekdays 08:30–12:00 and 13:00–17:30 (a lunch
/// break), closed at weekends, China's statutory holidays and make-up workdays.
fn utility() -> Calendar {
    let day = vec!["08:30-12:00".to_string(), "13:00-17:30".to_string()];
    Calendar::new(&CalendarSpec {
        time_zone: "Asia/Shanghai".into(),
        weekly: [
            day.clone(),
            day.clone(),
            day.clone(),
            day.clone(),
            day,
            vec![],
            vec![],
        ],
        cn_statutory: true,
        holidays: vec![],
        workdays: vec![],
        special: vec![],
    })
    .unwrap()
}

fn sh(s: &str) -> i64 {
    let dt: jiff::civil::DateTime = s.parse().unwrap();
    dt.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .unwrap()
        .timestamp()
        .as_millisecond()
}

/// Zammad #390: holidays must not count. Four working hours from Wednesday 30 September
/// 2026 at 16:00 (before National Day, 1–7 October off) are 1.5 h that day and 2.5 h on
/// Thursday 8 October: due at 11:00.
#[test]
fn zammad_390_holidays_do_not_count() {
    let cal = utility();
    let c = Clock::new(sh("2026-09-30T16:00"), Limit::WorkingMinutes(240), 80);
    assert_eq!(
        c.due_ms(&cal, sh("2026-09-30T16:00")),
        Some(sh("2026-10-08T11:00"))
    );
    // 7×24 counts the wall clock, holidays and all.
    let wall = Clock::new(sh("2026-09-30T16:00"), Limit::WallMinutes(240), 80);
    assert_eq!(
        wall.due_ms(&cal, sh("2026-09-30T16:00")),
        Some(sh("2026-09-30T20:00"))
    );
}

/// Zammad #4432: no reminders at midnight or at weekends. A warning at 80 % of 8 working
/// hours from Friday 16:00 falls on Monday at 14:24, in service hours.
#[test]
fn zammad_4432_warnings_fall_in_service_hours() {
    let cal = utility();
    let start = sh("2026-11-27T16:00"); // a Friday
    let mut c = Clock::new(start, Limit::WorkingMinutes(480), 80);
    let warn = c.warn_ms(&cal, start).unwrap();
    // 384 working minutes: 90 on Friday, 210 Monday morning, 84 after lunch.
    assert_eq!(warn, sh("2026-11-30T14:24"));
    assert!(cal.is_open(warn));
    assert_eq!(
        c.poll(&cal, sh("2026-11-28T00:00")),
        vec![],
        "nothing at Saturday midnight"
    );
    assert_eq!(
        c.poll(&cal, sh("2026-11-29T23:59")),
        vec![],
        "nor on Sunday"
    );
    assert_eq!(c.poll(&cal, warn), vec![Signal::Warn]);
    assert_eq!(c.poll(&cal, warn + 1), vec![], "once");
}

/// osTicket #3034: the clock pauses while the order waits on the customer, and the pause
/// moves the deadline by exactly the service time it took.
#[test]
fn osticket_3034_waiting_on_the_customer_pauses_the_clock() {
    let cal = utility();
    let start = sh("2026-11-23T09:00"); // a Monday
    let mut c = Clock::new(start, Limit::WorkingMinutes(120), 80);
    assert_eq!(c.due_ms(&cal, start), Some(sh("2026-11-23T11:00")));
    c.pause(sh("2026-11-23T10:00"));
    assert_eq!(
        c.due_ms(&cal, sh("2026-11-23T10:30")),
        None,
        "no deadline while waiting"
    );
    assert_eq!(
        c.poll(&cal, sh("2026-11-23T16:00")),
        vec![],
        "nothing counts while waiting"
    );
    // The customer answers the next morning: 60 working minutes were used, 60 are left.
    c.resume(&cal, sh("2026-11-24T09:00"));
    assert_eq!(
        c.due_ms(&cal, sh("2026-11-24T09:00")),
        Some(sh("2026-11-24T10:00"))
    );
    assert_eq!(c.used_ms(&cal, sh("2026-11-24T09:00")), 60 * 60_000);
}

/// Chatwoot allowed one interval a day: the lunch break does not count. Three working
/// hours from 10:30 are 1.5 h before lunch and 1.5 h after: due at 14:30.
#[test]
fn chatwoot_one_interval_a_day_the_lunch_break_does_not_count() {
    let cal = utility();
    let c = Clock::new(sh("2026-11-24T10:30"), Limit::WorkingMinutes(180), 0);
    assert_eq!(
        c.due_ms(&cal, sh("2026-11-24T10:30")),
        Some(sh("2026-11-24T14:30"))
    );
}

/// Zammad #3180: no escalation after the limit was met (the customer was answered).
#[test]
fn zammad_3180_a_met_limit_never_escalates() {
    let cal = utility();
    let start = sh("2026-11-24T09:00");
    let mut c = Clock::new(start, Limit::WorkingMinutes(60), 80);
    c.meet(&cal, sh("2026-11-24T09:30"));
    assert_eq!(c.poll(&cal, sh("2026-11-30T09:00")), vec![]);
    assert_eq!(c.due_ms(&cal, sh("2026-11-24T09:30")), None);
}

/// A policy in working days (a complaint: 13 working days, from the next working day):
/// created on the eve of National Day, due when the 13th working day closes.
#[test]
fn a_policy_in_working_days_across_national_day() {
    let cal = utility();
    let start = sh("2026-09-30T17:55");
    let mut c = Clock::new(start, Limit::WorkingDays(13), 80);
    // Oct 8, 9, 10 (make-up Saturday), 12–16, 19–23: the 13th is Friday Oct 23.
    assert_eq!(c.due_ms(&cal, start), Some(sh("2026-10-23T17:30")));
    assert_eq!(c.poll(&cal, sh("2026-10-23T17:29")), vec![Signal::Warn]);
    assert_eq!(c.poll(&cal, sh("2026-10-23T17:30")), vec![Signal::Breach]);
    // A clock polled only long after says both, in order, once.
    let mut late = Clock::new(start, Limit::WorkingDays(13), 80);
    assert_eq!(
        late.poll(&cal, sh("2026-11-30T09:00")),
        vec![Signal::Warn, Signal::Breach]
    );
    assert_eq!(late.poll(&cal, sh("2026-12-30T09:00")), vec![]);
}

/// Across the Spring Festival: 2026-02-14 (a Saturday) is worked, 15–23 February are off.
#[test]
fn across_the_spring_festival() {
    let cal = utility();
    let c = Clock::new(sh("2026-02-13T17:00"), Limit::WorkingMinutes(60), 80);
    // 30 minutes on Friday, then the make-up Saturday (weekday hours) opens at 08:30.
    assert_eq!(
        c.due_ms(&cal, sh("2026-02-13T17:00")),
        Some(sh("2026-02-14T09:00"))
    );
    let d = Clock::new(sh("2026-02-14T17:00"), Limit::WorkingMinutes(60), 80);
    assert_eq!(
        d.due_ms(&cal, sh("2026-02-14T17:00")),
        Some(sh("2026-02-24T09:00"))
    );
}

/// Random pauses, resumes, meets and time passing, seeded: after every step the clock's
/// promises hold — each signal at most once, the warning never after the breach, nothing
/// after the limit is met or counted while paused, used time never more than the open time
/// since the start, never going back, and a breach exactly when the used time reaches the
/// limit.
#[test]
fn the_clock_keeps_its_promises_under_random_use() {
    let cal = utility();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(21);
    let (mut all_warns, mut all_breaches, mut all_met, mut all_escalated) = (0, 0, 0, 0);
    for round in 0..400 {
        let start = sh("2026-09-20T08:00") + rng.random_range(0..60 * 24 * 3600 * 1000i64);
        let limit = match rng.random_range(0..3) {
            0 => Limit::WorkingMinutes(rng.random_range(1..2000)),
            1 => Limit::WorkingDays(rng.random_range(0..15)),
            _ => Limit::WallMinutes(rng.random_range(1..5000)),
        };
        let mut c = Clock::new(start, limit, rng.random_range(0..100))
            .escalating_at(*[0, 120, 150, 200].choose(&mut rng).unwrap());
        let budget = c.budget_ms(&cal).unwrap();
        let (mut now, mut warns, mut breaches, mut escalations, mut last_used) =
            (start, 0, 0, 0, 0);
        for _ in 0..60 {
            now += rng.random_range(0..8 * 3600 * 1000i64);
            let was_paused = c.is_paused();
            let action = rng.random_range(0..10);
            match action {
                0 | 1 => c.pause(now),
                2 | 3 => c.resume(&cal, now),
                4 if rng.random_range(0..4) == 0 => c.meet(&cal, now),
                _ => {}
            }
            let before = c.used_ms(&cal, now);
            let said = c.poll(&cal, now);
            let used = c.used_ms(&cal, now);
            assert_eq!(before, used, "polling counts nothing");
            assert!(used >= last_used, "round {round}: used time went back");
            if was_paused && c.is_paused() {
                assert_eq!(used, last_used, "round {round}: time counted while paused");
            }
            last_used = used;
            let open_since_start = match limit {
                Limit::WallMinutes(_) => now - start,
                _ => cal.business_ms(start, now),
            };
            assert!(
                used <= open_since_start,
                "round {round}: more used than elapsed"
            );
            if c.met_ms.is_some() {
                assert!(
                    said.is_empty(),
                    "round {round}: a signal after the limit was met"
                );
            }
            for s in &said {
                match s {
                    Signal::Warn => warns += 1,
                    Signal::Breach => {
                        breaches += 1;
                        assert!(used >= budget, "round {round}: breach before the limit");
                        assert!(
                            c.warn_percent == 0 || warns == 1,
                            "round {round}: breach before warning"
                        );
                    }
                    Signal::Escalate => {
                        escalations += 1;
                        assert_eq!(breaches, 1, "round {round}: escalated before the breach");
                        assert!(
                            used >= budget * i64::from(c.escalate_percent) / 100,
                            "round {round}: escalated early"
                        );
                    }
                }
            }
            assert!(
                warns <= 1 && breaches <= 1 && escalations <= 1,
                "round {round}: said twice"
            );
            if c.met_ms.is_none() && used >= budget {
                assert_eq!(breaches, 1, "round {round}: a used-up limit not breached");
            }
            if c.met_ms.is_none()
                && c.escalate_percent > 100
                && used >= budget * i64::from(c.escalate_percent) / 100
            {
                assert_eq!(escalations, 1, "round {round}: not escalated");
            }
            if c.escalate_percent == 0 {
                assert_eq!(escalations, 0, "round {round}: escalated without a share");
            }
        }
        all_warns += warns;
        all_breaches += breaches;
        all_met += u32::from(c.met_ms.is_some());
        all_escalated += escalations;
    }
    // The run reached every outcome.
    assert!(
        all_warns > 50 && all_breaches > 50 && all_met > 50 && all_escalated > 30,
        "{all_warns} {all_breaches} {all_met} {all_escalated}"
    );
}
