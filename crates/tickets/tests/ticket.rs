//! An order as the center keeps it: routing to the right group, its time limits moving with
//! it on the real 2026 calendar, and a seeded random run of commands and time passing that
//! checks the closed loop's promises after every step.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use tickets::setup::Match;
use tickets::{
    Closure, Command, Facts, Group, GroupKind, Intake, Likeness, Limit, Policy, Probe, Signal,
    Status, Step, Ticket, Which, route, standard_calendar,
};

fn sh(s: &str) -> i64 {
    let dt: jiff::civil::DateTime = s.parse().unwrap();
    dt.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .unwrap()
        .timestamp()
        .as_millisecond()
}

fn group(handles: Vec<Match>) -> Group {
    Group {
        name: "g".into(),
        kind: GroupKind::Crew,
        members: vec![7],
        lead: Some(8),
        handles,
    }
}

fn m(t: Option<&str>, c: Option<&str>, r: Option<&str>, s: Option<&str>) -> Match {
    Match {
        order_type: t.map(Into::into),
        category: c.map(Into::into),
        region: r.map(Into::into),
        segment: s.map(Into::into),
    }
}

#[test]
fn the_most_specific_rule_routes_the_order() {
    let mut groups = BTreeMap::new();
    groups.insert("backoffice".into(), group(vec![m(None, None, None, None)]));
    groups.insert(
        "crew-hz".into(),
        group(vec![m(Some("repair"), None, Some("浙江省/杭州市"), None)]),
    );
    groups.insert(
        "crew-xihu".into(),
        group(vec![m(
            Some("repair"),
            None,
            Some("浙江省/杭州市/西湖区"),
            None,
        )]),
    );
    groups.insert(
        "key-accounts".into(),
        group(vec![m(
            Some("repair"),
            None,
            Some("浙江省"),
            Some("key_account"),
        )]),
    );
    let facts = |region, segment| Facts {
        order_type: "repair",
        category: "leak/main",
        region,
        segment,
    };
    assert_eq!(
        route(&groups, &facts("浙江省/杭州市/西湖区", None)),
        Some("crew-xihu")
    );
    assert_eq!(
        route(&groups, &facts("浙江省/杭州市/上城区", None)),
        Some("crew-hz")
    );
    // A region is matched by whole steps: 杭州市西 is not under 杭州市.
    assert_eq!(
        route(&groups, &facts("浙江省/杭州市西", None)),
        Some("backoffice")
    );
    // Three conditions beat two, however deep the region.
    assert_eq!(
        route(&groups, &facts("浙江省/杭州市/西湖区", Some("key_account"))),
        Some("key-accounts")
    );
    let complaint = Facts {
        order_type: "complaint",
        category: "",
        region: "浙江省/杭州市/西湖区",
        segment: None,
    };
    assert_eq!(route(&groups, &complaint), Some("backoffice"));
    groups.remove("backoffice");
    assert_eq!(route(&groups, &complaint), None, "stays with the center");
}

fn policy() -> Policy {
    Policy {
        segment: None,
        calendar: None,
        accept: Some(Limit::WorkingMinutes(30)),
        first_action: Some(Limit::WorkingMinutes(120)),
        resolve: Some(Limit::WorkingDays(3)),
        warn_percent: 80,
        escalate_percent: 150,
    }
}

fn repair(id: u64, caller: &str, now: i64) -> Ticket {
    Ticket::new(
        id,
        Intake {
            order_type: "repair".into(),
            caller: Some(caller.into()),
            ..Intake::default()
        },
        true,
        Some(policy()),
        None,
        now,
    )
}

/// A repair taken in on Wednesday 30 September 2026 at 17:55, before National Day (1–7
/// October off, Saturday 10 October a make-up workday): three working days counted from
/// the next working day are 8, 9 and 10 October, so it is due at the close of Saturday the
/// 10th — 17:30 on the standard week.
#[test]
fn a_repair_before_national_day_is_due_on_the_make_up_saturday() {
    let cal = standard_calendar();
    let t = repair(1, "+8613800000001", sh("2026-09-30T17:55"));
    assert_eq!(
        t.due_ms(&cal, sh("2026-09-30T17:55")),
        Some(sh("2026-10-10T17:30"))
    );
}

/// Waiting on the customer pauses every clock; the handler's steps meet the first-action
/// limit; a reopened order gets a new limit to put it right.
#[test]
fn the_clocks_move_with_the_order() {
    let cal = standard_calendar();
    let mut t = repair(1, "+8613800000001", sh("2026-12-01T09:00"));
    t.apply(
        Command::Dispatch {
            group: "crew".into(),
        },
        &cal,
        sh("2026-12-01T09:00"),
    )
    .unwrap();
    // 30 working minutes to accept, warned at 80 %: 09:24.
    assert_eq!(
        t.next_due(&cal, sh("2026-12-01T09:00")),
        Some(sh("2026-12-01T09:24"))
    );
    assert_eq!(
        t.poll(&cal, sh("2026-12-01T09:31")),
        vec![
            (Which::Accept, Signal::Warn),
            (Which::Accept, Signal::Breach)
        ]
    );
    t.apply(Command::Accept { handler: 7 }, &cal, sh("2026-12-01T09:40"))
        .unwrap();
    t.step(Step::OnTheWay, &cal, sh("2026-12-01T10:00"))
        .unwrap();
    assert_eq!(t.on_the_way_ms, Some(sh("2026-12-01T10:00")));
    assert!(t.clocks.first_action.as_ref().unwrap().met_ms.is_some());
    t.apply(Command::Wait, &cal, sh("2026-12-01T10:30"))
        .unwrap();
    assert_eq!(t.next_due(&cal, sh("2026-12-01T10:30")), None, "paused");
    t.apply(Command::Resume, &cal, sh("2026-12-03T10:30"))
        .unwrap();
    let due = t.due_ms(&cal, sh("2026-12-03T10:30")).unwrap();
    // Due at the close of 4 December, plus the two days it waited: 8 December 17:30.
    assert_eq!(due, sh("2026-12-08T17:30"));
    t.apply(Command::Resolve, &cal, sh("2026-12-04T11:00"))
        .unwrap();
    assert_eq!(t.on_time(&cal), Some(true));
    t.apply(
        Command::Callback {
            satisfied: false,
            score: 2,
        },
        &cal,
        sh("2026-12-04T15:00"),
    )
    .unwrap();
    assert!(matches!(
        t.order.status,
        Status::Accepted { handler: 7, .. }
    ));
    assert_eq!(t.resolved_ms, None);
    let again = t.clocks.resolve.as_ref().unwrap();
    assert_eq!(again.started_ms, sh("2026-12-04T15:00"));
}

/// The closed loop's promises, after every step of seeded random runs: an order is open or
/// closed, never both, and closed for good; each limit's clock warns and breaches at most
/// once and stops when the order closes; an order that needs its callback closes only satisfied,
/// unreachable or by an override; a merge keeps every caller.
#[test]
fn random_runs_keep_the_closed_loops_promises() {
    let cal = standard_calendar();
    for seed in 0..300u64 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut now = sh("2026-09-25T08:00") + rng.random_range(0..86_400_000);
        let mut target = repair(2, "+8613800000002", now);
        let mut t = repair(1, "+8613800000001", now);
        t.order.callback_required = rng.random_bool(0.7);
        // Each limit's clock (a new one on each dispatch, and on a reopening) by when it
        // started, with what it said.
        let mut signals: Vec<(Which, i64, Signal)> = Vec::new();
        let mut was_closed = false;
        for _ in 0..60 {
            now += rng.random_range(0..6 * 3_600_000);
            for (which, signal) in t.poll(&cal, now) {
                let started = t
                    .clocks
                    .each()
                    .into_iter()
                    .find(|(w, _)| *w == which)
                    .and_then(|(_, c)| c.as_ref().map(|c| c.started_ms))
                    .unwrap();
                let s = (which, started, signal);
                assert!(!signals.contains(&s), "seed {seed}: {s:?} said twice");
                signals.push(s);
            }
            let command = match rng.random_range(0..13) {
                0 => Command::Dispatch {
                    group: "crew".into(),
                },
                1 => Command::Redispatch {
                    group: "other".into(),
                    reviewed_by: 8,
                },
                2 => Command::Accept { handler: 7 },
                3 => Command::Return {
                    reason: "不属本组".into(),
                },
                4 => Command::Wait,
                5 => Command::Resume,
                6 => Command::Resolve,
                7 => Command::Callback {
                    satisfied: rng.random_bool(0.5),
                    score: rng.random_range(1..=5),
                },
                8 => Command::CallbackMissed,
                9 if rng.random_bool(0.1) => Command::Override {
                    by: 1,
                    reason: "客户拒绝回访".into(),
                },
                10 if rng.random_bool(0.1) => Command::MergeInto { target: 2 },
                11 => Command::Solve { handler: 3 },
                _ => {
                    let _ = t.step(Step::Note, &cal, now);
                    continue;
                }
            };
            let merge = matches!(command, Command::MergeInto { .. });
            let before = t.clone();
            match t.apply(command, &cal, now) {
                Err(_) => assert_eq!(t, before, "seed {seed}: a refusal changed the order"),
                Ok(_) if merge => {
                    target
                        .apply(
                            Command::Absorb {
                                callers: t.order.callers.clone(),
                            },
                            &cal,
                            now,
                        )
                        .unwrap();
                    for c in &t.order.callers {
                        assert!(target.order.callers.contains(c), "seed {seed}");
                    }
                }
                Ok(_) => {}
            }
            assert!(t.order.status.is_open() != t.order.status.is_closed());
            assert!(!was_closed || t.order.status.is_closed(), "seed {seed}");
            was_closed = t.order.status.is_closed();
            if let Status::Closed(c) = &t.order.status {
                assert!(t.closed_ms.is_some());
                if t.order.callback_required {
                    assert!(
                        !matches!(c, Closure::Resolved),
                        "seed {seed}: closed without its callback"
                    );
                }
                for (_, c) in t.clocks.each() {
                    assert!(c.as_ref().is_none_or(|c| c.met_ms.is_some()), "seed {seed}");
                }
            }
        }
    }
}

/// Issue 22 (review): a sweep that polls at the very instant `warn_ms` names hears the
/// warning — the share is rounded the same way on both sides — for limits of every kind.
#[test]
fn issue_22_a_poll_at_the_warning_instant_says_it() {
    let cal = standard_calendar();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(22);
    for _ in 0..2000 {
        let start = sh("2026-01-05T00:00") + rng.random_range(0..300 * 86_400_000_i64);
        let limit = match rng.random_range(0..3) {
            0 => Limit::WorkingDays(rng.random_range(1..15)),
            1 => Limit::WorkingMinutes(rng.random_range(1..5000)),
            _ => Limit::WallMinutes(rng.random_range(1..5000)),
        };
        let mut c = tickets::Clock::new(start, limit, rng.random_range(1..100));
        let Some(at) = c.warn_ms(&cal, start) else {
            continue;
        };
        let said = c.poll(&cal, at);
        assert!(
            said.contains(&Signal::Warn),
            "{limit:?} from {start} at {at}: {said:?}"
        );
    }
}

/// Issue 22: a resolved order's callback (回访) is owed at once; one that did not reach the
/// customer is tried again after the retry gap, without moving when it was resolved; a
/// reopened order owes none.
#[test]
fn issue_22_a_missed_callback_is_tried_again_after_the_gap() {
    let cal = standard_calendar();
    let mut t = repair(1, "+8613800000001", sh("2026-12-01T09:00"));
    let at = |s: &str| sh(s);
    t.apply(
        Command::Dispatch {
            group: "crew".into(),
        },
        &cal,
        at("2026-12-01T09:00"),
    )
    .unwrap();
    t.apply(Command::Accept { handler: 7 }, &cal, at("2026-12-01T09:10"))
        .unwrap();
    assert!(!t.callback_due(at("2026-12-01T09:10"), 7_200_000));
    t.apply(Command::Resolve, &cal, at("2026-12-01T10:00"))
        .unwrap();
    assert!(t.callback_due(at("2026-12-01T10:00"), 7_200_000));
    t.apply(Command::CallbackMissed, &cal, at("2026-12-01T10:30"))
        .unwrap();
    assert_eq!(t.callback_missed_ms, Some(at("2026-12-01T10:30")));
    assert_eq!(
        t.resolved_ms,
        Some(at("2026-12-01T10:00")),
        "still resolved then"
    );
    assert!(!t.callback_due(at("2026-12-01T12:29"), 7_200_000));
    assert!(t.callback_due(at("2026-12-01T12:30"), 7_200_000));
    t.apply(
        Command::Callback {
            satisfied: false,
            score: 1,
        },
        &cal,
        at("2026-12-01T13:00"),
    )
    .unwrap();
    assert!(
        !t.callback_due(at("2026-12-02T13:00"), 7_200_000),
        "reopened"
    );
}

/// Issue 22: an open order of the same customer, at the same address, or of the same kind
/// in the same region lately is suggested for merging (并单); closed ones and old ones are not.
#[test]
fn issue_22_a_new_order_finds_the_open_orders_it_may_duplicate() {
    let cal = standard_calendar();
    let now = sh("2026-12-01T10:00");
    let mut t = repair(1, "+8613800000001", sh("2026-11-30T09:00"));
    t.intake.customer_id = Some(7);
    t.intake.region = "浙江省/杭州市/西湖区".into();
    t.intake.address = "文三路 90 号".into();
    t.intake.category = "leak/main".into();
    let week = 7 * 86_400_000;
    let probe = |customer, region, address, category| Probe {
        customer_id: customer,
        region,
        address,
        order_type: "repair",
        category,
    };
    let p = probe(Some(7), "", "", "");
    assert_eq!(t.likeness(&p, now, week), Some(Likeness::SameCustomer));
    let p = probe(Some(8), "浙江省/杭州市/西湖区", "文三路90号", "meter");
    assert_eq!(t.likeness(&p, now, week), Some(Likeness::SameAddress));
    let p = probe(None, "浙江省/杭州市/西湖区", "文三路 12 号", "leak/main");
    assert_eq!(t.likeness(&p, now, week), Some(Likeness::SameArea));
    assert_eq!(
        t.likeness(&p, sh("2026-12-08T09:01"), week),
        None,
        "the area's orders of a week ago are another matter"
    );
    let p = probe(None, "浙江省/杭州市/上城区", "文三路 90 号", "leak/main");
    assert_eq!(t.likeness(&p, now, week), None, "another district");
    assert!(Likeness::SameCustomer < Likeness::SameArea, "likest first");
    t.apply(
        Command::Override {
            by: 1,
            reason: "重复".into(),
        },
        &cal,
        now,
    )
    .unwrap();
    let p = probe(Some(7), "", "", "");
    assert_eq!(t.likeness(&p, now, week), None, "closed");
}
