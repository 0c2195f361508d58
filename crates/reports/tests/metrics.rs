//! Each metric on hand-built event streams with the edge cases: an abandon at 4 s, a
//! callback in queue, an overflow to a second queue, a transfer to an expert, a call
//! spanning midnight and a half-hour boundary, a day in a time zone other than Shanghai.

use events::{AcdEvent, CallEnded, CallSurveyed, Event, KbSolved, Outcome};
use reports::{
    Components, Dim, Fold, Granularity, Rollup, RowKey, Settings, SlFormula, bucket, period_start,
    previous, value,
};

/// 2026-12-01 10:00 in Shanghai (02:00 UTC).
const T0: i64 = 1_796_090_400_000;
const S: i64 = 1000;

fn cdr(id: &str, queue: &str, arrived: i64, wait: i64, outcome: Outcome) -> CallEnded {
    let answered = (outcome == Outcome::Answered).then_some(arrived + wait);
    CallEnded {
        call_id: id.into(),
        caller: format!("+86138{id:0>8}"),
        customer_id: None,
        queue: queue.into(),
        first_queue: queue.into(),
        agent_id: answered.map(|_| 7),
        offered_to: None,
        arrived_at_ms: arrived,
        answered_at_ms: answered,
        ended_at_ms: arrived + wait + if answered.is_some() { 120 * S } else { 0 },
        wait_ms: wait,
        talk_ms: if answered.is_some() { 120 * S } else { 0 },
        ring_ms: if answered.is_some() { 3 * S } else { 0 },
        hold_ms: 0,
        ivr_ms: 8000,
        dialled: "95598".into(),
        recording: None,
        ended_by: None,
        end_reason: None,
        media: None,
        outcome,
        segment: 0,
        transferred_to: None,
        customer_segment: None,
    }
}

fn fold(events: &[(Event, i64)]) -> Rollup {
    let mut f = Fold::new();
    let mut out = Rollup::default();
    for (e, at) in events {
        f.apply(e, *at, &mut out);
    }
    out
}

fn ended(c: CallEnded) -> (Event, i64) {
    let at = c.ended_at_ms;
    (Event::CallEnded(c), at)
}

fn sum(r: &Rollup, dim: Dim, key: &str) -> Components {
    let mut c = Components::default();
    for (k, v) in &r.0 {
        if k.dim == dim && k.key == key {
            c.merge(v);
        }
    }
    c
}

fn state(user: u32, state: acd::AgentState, at: i64) -> (Event, i64) {
    let a = AcdEvent {
        event: acd::EventKind::AgentState {
            agent: acd::AgentId(user),
            state,
        },
        user_id: Some(user),
        queue_key: None,
        from_key: None,
    };
    (Event::Acd(a), at)
}

#[test]
fn an_abandon_at_4_s_is_short_and_left_out_where_the_tenant_says() {
    let r = fold(&[
        ended(cdr("1", "repair", T0, 4 * S, Outcome::Abandoned)),
        ended(cdr("2", "repair", T0, 30 * S, Outcome::Abandoned)),
        ended(cdr("3", "repair", T0, 10 * S, Outcome::Answered)),
        ended(cdr("4", "repair", T0, 25 * S, Outcome::Answered)),
    ]);
    let c = sum(&r, Dim::Queue, "repair");
    let s = Settings::default();
    assert_eq!((c.offered, c.answered, c.abandoned), (4, 2, 2));
    assert_eq!(value("short_abandoned", &c, &s), Some(1.0));
    // Left out of both sides: 1 of 3.
    assert_eq!(value("abandon_rate", &c, &s), Some(1.0 / 3.0));
    let kept = Settings {
        exclude_short_abandons: false,
        ..s.clone()
    };
    assert_eq!(value("abandon_rate", &c, &kept), Some(0.5));
    assert_eq!(value("answer_rate", &c, &s), Some(0.5));
    assert_eq!(value("asa", &c, &s), Some(17.5));
    assert_eq!(value("avg_abandon_wait", &c, &s), Some(17.0));
    assert_eq!(value("max_wait", &c, &s), Some(30.0));
    // The four formulas, T = 20 s: answered in T 1, abandoned in T 1 (the short one).
    let sl = |f: SlFormula, exclude: bool| {
        let s = Settings {
            service_level_formula: f,
            exclude_short_abandons: exclude,
            ..Settings::default()
        };
        value("service_level", &c, &s)
    };
    assert_eq!(
        sl(SlFormula::AnsweredOrAbandonedInT, false),
        Some(2.0 / 4.0)
    );
    assert_eq!(sl(SlFormula::AnsweredOnly, false), Some(1.0 / 2.0));
    assert_eq!(sl(SlFormula::AnsweredInTOverAll, false), Some(1.0 / 4.0));
    assert_eq!(sl(SlFormula::AbandonedAfterT, false), Some(1.0 / 3.0));
    // Without the short abandon: 1 answered in T of 2 answered + 1 abandoned (after T).
    assert_eq!(sl(SlFormula::AnsweredOrAbandonedInT, true), Some(1.0 / 3.0));
    assert_eq!(sl(SlFormula::AnsweredInTOverAll, true), Some(1.0 / 3.0));
    assert_eq!(sl(SlFormula::AbandonedAfterT, true), Some(1.0 / 3.0));
    // T of 30 s: both answered within it.
    let t30 = Settings {
        service_level_s: 30,
        service_level_formula: SlFormula::AnsweredOnly,
        ..Settings::default()
    };
    assert_eq!(value("service_level", &c, &t30), Some(1.0));
    // No calls: no ratio, not 0 %.
    assert_eq!(value("service_level", &Components::default(), &s), None);
}

#[test]
fn a_callback_in_queue_is_counted_apart_and_flow_outs_join_the_denominator_on_request() {
    let r = fold(&[
        ended(cdr("1", "repair", T0, 40 * S, Outcome::Callback)),
        ended(cdr("2", "repair", T0, 10 * S, Outcome::Answered)),
    ]);
    let c = sum(&r, Dim::All, "");
    assert_eq!((c.offered, c.callback_requested, c.abandoned), (2, 1, 0));
    let s = Settings::default();
    assert_eq!(value("service_level", &c, &s), Some(1.0));
    let flows = Settings {
        count_flow_outs: true,
        ..s
    };
    assert_eq!(value("service_level", &c, &flows), Some(0.5));
}

#[test]
fn an_overflowed_call_is_offered_in_both_queues_and_once_for_the_center() {
    let mut c = cdr("1", "billing", T0, 50 * S, Outcome::Answered);
    c.first_queue = "repair".into();
    let r = fold(&[ended(c)]);
    let (repair, billing, all) = (
        sum(&r, Dim::Queue, "repair"),
        sum(&r, Dim::Queue, "billing"),
        sum(&r, Dim::All, ""),
    );
    assert_eq!(
        (repair.offered, repair.flowed_out, repair.answered),
        (1, 1, 0)
    );
    assert_eq!(
        (billing.offered, billing.overflow_in, billing.answered),
        (1, 1, 1)
    );
    assert_eq!((all.offered, all.answered, all.flowed_out), (1, 1, 0));
    // The wait counts from the first queue.
    assert_eq!(value("asa", &billing, &Settings::default()), Some(50.0));
}

#[test]
fn a_transfer_to_an_expert_counts_the_contact_once_and_both_talks() {
    let mut first = cdr("1", "repair", T0, 5 * S, Outcome::Answered);
    first.transferred_to = Some("8001".into());
    let mut second = cdr("1", "", T0, 5 * S, Outcome::Answered);
    second.segment = 1;
    second.agent_id = Some(9);
    second.talk_ms = 300 * S;
    let r = fold(&[ended(first), ended(second)]);
    let all = sum(&r, Dim::All, "");
    assert_eq!((all.offered, all.answered), (1, 1));
    assert_eq!((all.transferred_out, all.transferred_in), (1, 1));
    assert_eq!(all.talk_ms, 420 * S);
    let expert = sum(&r, Dim::Agent, "9");
    assert_eq!(
        (expert.answered, expert.transferred_in, expert.talk_ms),
        (1, 1, 300 * S)
    );
    assert_eq!(
        value(
            "transfer_rate",
            &sum(&r, Dim::Agent, "7"),
            &Settings::default()
        ),
        Some(1.0)
    );
}

#[test]
fn a_call_across_midnight_counts_on_the_day_it_arrived_and_its_talk_time_splits() {
    let zone = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    // 23:59:50 in Shanghai on 2026-12-01 (15:59:50 UTC).
    let midnight = T0 + 14 * 3_600_000;
    let arrived = midnight - 10 * S;
    let mut c = cdr("1", "repair", arrived, 5 * S, Outcome::Answered);
    c.talk_ms = 40 * 60 * S;
    let answered = arrived + 5 * S;
    let r = fold(&[
        state(7, acd::AgentState::Ready, arrived - 60 * S),
        state(7, acd::AgentState::Talking, answered),
        state(7, acd::AgentState::AfterCallWork, answered + 40 * 60 * S),
        state(7, acd::AgentState::Ready, answered + 41 * 60 * S),
        ended(c),
    ]);
    let call_rows: Vec<&RowKey> =
        r.0.iter()
            .filter(|(k, v)| k.dim == Dim::Queue && v.offered > 0)
            .map(|(k, _)| k)
            .collect();
    assert_eq!(call_rows.len(), 1);
    assert_eq!(call_rows[0].bucket_ms, bucket(arrived));
    let day = |ms| period_start(ms, Granularity::Day, &zone, 0);
    assert_eq!(day(call_rows[0].bucket_ms), day(arrived));
    assert_ne!(day(arrived), day(midnight));
    // The agent's 40 minutes of talk: 5 s before midnight, 30 min, then the rest.
    let talk_in = |b: i64| {
        r.0.get(&RowKey {
            bucket_ms: b,
            dim: Dim::Agent,
            key: "7".into(),
        })
        .map_or(0, |c| c.talking_ms)
    };
    assert_eq!(talk_in(bucket(arrived)), 5 * S);
    assert_eq!(talk_in(midnight), 30 * 60 * S);
    assert_eq!(talk_in(midnight + 30 * 60 * S), 10 * 60 * S - 5 * S);
    let agent = sum(&r, Dim::Agent, "7");
    assert_eq!(agent.talking_ms, 40 * 60 * S);
    assert_eq!(agent.acw_ms, 60 * S);
    assert_eq!(agent.ready_ms, 65 * S);
    assert_eq!(
        value("occupancy", &agent, &Settings::default()),
        Some(2460.0 / 2525.0)
    );
}

#[test]
fn days_weeks_and_months_are_the_tenants_own() {
    let ny = jiff::tz::TimeZone::get("America/New_York").unwrap();
    let sh = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    // 2026-12-01 02:00 UTC: 10:00 on the 1st in Shanghai, 21:00 on 30 November in New York.
    let day = |z| period_start(T0, Granularity::Day, z, 0);
    assert_eq!(day(&sh), T0 - 10 * 3_600_000);
    assert_eq!(day(&ny), T0 - 21 * 3_600_000);
    // November's first day in New York (EDT until 1 November 02:00, so UTC−4 then).
    let month = period_start(T0, Granularity::Month, &ny, 0);
    assert_eq!(
        month,
        jiff::civil::date(2026, 11, 1)
            .to_zoned(ny.clone())
            .unwrap()
            .timestamp()
            .as_millisecond()
    );
    // Whole months: the previous one is the calendar month before, whatever its length.
    let dec = day(&sh);
    let jan = jiff::civil::date(2027, 1, 1)
        .to_zoned(sh.clone())
        .unwrap()
        .timestamp()
        .as_millisecond();
    let nov = jiff::civil::date(2026, 11, 1)
        .to_zoned(sh.clone())
        .unwrap()
        .timestamp()
        .as_millisecond();
    assert_eq!(previous(dec, jan, &sh), (nov, dec));
    // A Monday-to-Sunday week: 2026-12-01 is a Tuesday.
    assert_eq!(
        period_start(T0, Granularity::Week, &sh, 0),
        day(&sh) - 24 * 3_600_000
    );
}

#[test]
fn repeat_calls_and_first_contact_resolution() {
    let day = 24 * 3_600_000;
    let mut first = cdr("1", "repair", T0, 5 * S, Outcome::Answered);
    first.caller = "+8613800000001".into();
    let mut again = cdr("2", "repair", T0 + 2 * day, 5 * S, Outcome::Answered);
    again.caller = first.caller.clone();
    let mut late = cdr("3", "repair", T0 + 40 * day, 5 * S, Outcome::Answered);
    late.caller = first.caller.clone();
    let r = fold(&[ended(first), ended(again), ended(late)]);
    let all = sum(&r, Dim::All, "");
    let s = Settings::default();
    // The second call repeats the first within 7 days; the third comes after 38.
    assert_eq!(value("repeat_rate", &all, &s), Some(1.0 / 3.0));
    assert_eq!(value("fcr", &all, &s), Some(1.0 - 1.0 / 3.0));
    // The first call's agent and half hour carry it.
    let first_row = &r.0[&RowKey {
        bucket_ms: bucket(T0),
        dim: Dim::Agent,
        key: "7".into(),
    }];
    assert_eq!(first_row.recalled_in[reports::repeat_index(7)], 1);
    assert_eq!(first_row.recalled_in[reports::repeat_index(1)], 0);
}

/// Issue 24: what the knowledge base solved, beside first-contact resolution.
#[test]
fn issue_24_contacts_solved_with_knowledge() {
    let solved = |call: Option<&str>, queue: Option<&str>| {
        (
            Event::KbSolved(KbSolved {
                article_id: 3,
                user_id: 7,
                call_id: call.map(String::from),
                queue: queue.map(String::from),
            }),
            T0 + 60 * S,
        )
    };
    let r = fold(&[
        ended(cdr("1", "repair", T0, 5 * S, Outcome::Answered)),
        ended(cdr("2", "repair", T0, 5 * S, Outcome::Answered)),
        solved(Some("1"), Some("repair")),
        solved(None, None),
    ]);
    let s = Settings::default();
    let all = sum(&r, Dim::All, "");
    assert_eq!(value("kb_solved", &all, &s), Some(2.0));
    assert_eq!(value("kb_resolution", &all, &s), Some(1.0));
    assert_eq!(sum(&r, Dim::Queue, "repair").kb_solved, 1);
    assert_eq!(sum(&r, Dim::Agent, "7").kb_solved, 2);
}

#[test]
fn surveys_wrapups_and_not_ready_reasons() {
    let r = fold(&[
        (
            Event::CallSurveyed(CallSurveyed {
                call_id: "1".into(),
                agent_id: 7,
                score: Some(5),
                segment: 1,
            }),
            T0,
        ),
        (
            Event::CallSurveyed(CallSurveyed {
                call_id: "2".into(),
                agent_id: 7,
                score: Some(2),
                segment: 1,
            }),
            T0,
        ),
        state(7, acd::AgentState::NotReady(acd::Reason::Meal), T0),
        state(7, acd::AgentState::Ready, T0 + 1800 * S),
    ]);
    let agent = sum(&r, Dim::Agent, "7");
    let s = Settings::default();
    assert_eq!(value("satisfaction", &agent, &s), Some(0.5));
    assert_eq!(value("avg_score", &agent, &s), Some(3.5));
    assert_eq!(sum(&r, Dim::AgentReason, "7:meal").not_ready_ms, 1800 * S);
    assert_eq!(
        value("not_ready_time", &sum(&r, Dim::Reason, "meal"), &s),
        Some(1800.0)
    );
}

/// Work orders: a resolution counts each time (a reopened order resolved again counts
/// again), on time only against a limit; the loop closes only through a callback that
/// reached the customer; a known caller's segment is a dimension of its own.
#[test]
fn issue_23_work_orders_on_time_and_closed_loop_and_the_callers_segment() {
    let change = |id: i64, action: &str, from: &str, to: &str, on_time, at| {
        (
            Event::OrderChanged(events::OrderChanged {
                order_id: id,
                version: 1,
                customer_id: None,
                actor_id: None,
                action: action.into(),
                from: from.into(),
                to: to.into(),
                group: Some("crew".into()),
                handler_id: None,
                note: None,
                score: None,
                on_time,
                journey: None,
            }),
            at,
        )
    };
    let mut vip = cdr("1", "repair", T0, 3 * S, Outcome::Answered);
    vip.customer_segment = Some("large_account".into());
    let r = fold(&[
        change(1, "create", "open", "dispatched", None, T0),
        change(2, "create", "open", "dispatched", None, T0),
        change(3, "create", "open", "dispatched", None, T0),
        change(
            1,
            "resolve",
            "accepted",
            "resolved",
            Some(true),
            T0 + 60 * S,
        ),
        change(1, "callback", "resolved", "accepted", None, T0 + 120 * S),
        change(
            1,
            "resolve",
            "accepted",
            "resolved",
            Some(false),
            T0 + 180 * S,
        ),
        change(1, "callback", "resolved", "closed", None, T0 + 240 * S),
        change(2, "resolve", "accepted", "resolved", None, T0 + 60 * S),
        change(
            2,
            "callback_missed",
            "resolved",
            "closed",
            None,
            T0 + 120 * S,
        ),
        // Closed as it was resolved (no callback owed): no loop to close.
        change(3, "resolve", "accepted", "closed", None, T0 + 60 * S),
        ended(vip),
        ended(cdr("2", "repair", T0, 3 * S, Outcome::Abandoned)),
    ]);
    let s = Settings::default();
    for c in [sum(&r, Dim::All, ""), sum(&r, Dim::OrderGroup, "crew")] {
        assert_eq!(
            (c.orders_created, c.orders_resolved, c.orders_closed),
            (3, 4, 2)
        );
        assert_eq!(value("on_time_rate", &c, &s), Some(0.5));
        assert_eq!(value("closed_loop_rate", &c, &s), Some(0.5));
    }
    let vip = sum(&r, Dim::Segment, "large_account");
    assert_eq!((vip.offered, vip.answered), (1, 1));
    assert_eq!(sum(&r, Dim::All, "").offered, 2);
    // Nothing to divide by is none, never 0 %.
    assert_eq!(value("on_time_rate", &vip, &s), None);
}

#[test]
fn every_glossary_metric_has_a_value_function() {
    let c = Components {
        offered: 1,
        answered: 1,
        abandoned: 1,
        surveys: 1,
        staffed_ms: 1,
        ready_ms: 1,
        orders_timed: 1,
        orders_closed: 1,
        leads_captured: 1,
        ..Components::default()
    };
    for m in reports::GLOSSARY {
        assert!(
            value(m.key, &c, &Settings::default()).is_some(),
            "{} has no value",
            m.key
        );
    }
}

/// `docs/metrics.md` is the glossary (`UPDATE_EXPECT=1` rewrites it).
#[test]
fn the_docs_glossary_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/metrics.md");
    let want = reports::glossary_markdown();
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(path, &want).unwrap();
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "docs/metrics.md is stale: UPDATE_EXPECT=1 cargo test -p reports"
    );
}

#[test]
fn the_star_ranking_weighs_scaled_metrics_and_ties_share_a_rank() {
    let agent = |answered: i64, talk_s: i64, wait_s: i64| Components {
        offered: answered,
        answered,
        talk_ms: talk_s * 1000,
        wait_answered_ms: wait_s * 1000,
        ..Components::default()
    };
    let rows = vec![
        ("a".to_string(), agent(100, 10_000, 100)),
        ("b".to_string(), agent(50, 5_000, 25)),
        ("c".to_string(), agent(100, 10_000, 100)),
        ("idle".to_string(), Components::default()),
    ];
    let w = |metric: &str, weight| reports::Weight {
        metric: metric.into(),
        weight,
    };
    // Answered counts up; ASA (lower is better) counts down.
    let ranked = reports::rank(
        &rows,
        &[w("answered", 3), w("asa", 1)],
        &Settings::default(),
    );
    let got: Vec<(&str, usize, f64)> = ranked
        .iter()
        .map(|r| (r.key.as_str(), r.rank, r.score))
        .collect();
    // a and c: best on answered, worst on ASA (1 s); b: halfway on answered (the idle agent
    // answered none), best on ASA.
    assert_eq!(got[0], ("a", 1, 75.0));
    assert_eq!(got[1], ("c", 1, 75.0));
    assert_eq!(got[2], ("b", 3, 62.5));
    // No calls: no ASA, placed last on it.
    assert_eq!(got[3], ("idle", 4, 0.0));
    assert!(reports::check_weights(&[w("answered", 0)]).is_err());
    assert!(reports::check_weights(&[w("happiness", 10)]).is_err());
    assert!(reports::check_weights(&reports::default_weights()).is_ok());
}

/// Issue 25 (R3.5): the customer's journey stage is a dimension — wrap-ups, orders taken in
/// and leads captured and won count under the stage they were tagged with, and in the
/// center's row whether tagged or not.
#[test]
fn issue_25_reports_by_the_customers_journey_stage() {
    let wrapup = |id: &str, journey: Option<&str>| {
        (
            Event::CallWrapup(events::CallWrapup {
                call_id: id.into(),
                user_id: 1,
                agent: "a".into(),
                disposition: "inquiry".into(),
                notes: String::new(),
                customer_id: None,
                journey: journey.map(String::from),
            }),
            T0,
        )
    };
    let lead = |id: i64, action: &str, amount: Option<i64>, journey: &str| {
        (
            Event::LeadChanged(events::LeadChanged {
                lead_id: id,
                version: 1,
                customer_id: None,
                actor_id: None,
                action: action.into(),
                from: "open".into(),
                to: "open".into(),
                from_dealer: None,
                to_dealer: None,
                captured_by: Some(1),
                product_line: "净水器".into(),
                region: "浙江省/杭州市/西湖区".into(),
                note: None,
                amount,
                on_time: None,
                waited_ms: None,
                journey: Some(journey.into()),
            }),
            T0 + 60 * S,
        )
    };
    let order = (
        Event::OrderChanged(events::OrderChanged {
            order_id: 1,
            version: 1,
            customer_id: None,
            actor_id: None,
            action: "create".into(),
            from: "open".into(),
            to: "dispatched".into(),
            group: None,
            handler_id: None,
            note: None,
            score: None,
            on_time: None,
            journey: Some("return".into()),
        }),
        T0,
    );
    let r = fold(&[
        wrapup("1", Some("select")),
        wrapup("2", Some("select")),
        wrapup("3", None),
        order,
        lead(1, "capture", None, "select"),
        lead(2, "capture", None, "select"),
        lead(3, "capture", None, "buy"),
        lead(1, "win", Some(7_800_000), "select"),
        lead(2, "follow_up", None, "select"),
    ]);
    let s = Settings::default();
    let select = sum(&r, Dim::Journey, "select");
    assert_eq!(
        (select.wrapups, select.leads_captured, select.leads_won),
        (2, 2, 1)
    );
    assert_eq!(value("lead_amount", &select, &s), Some(78_000.0));
    assert_eq!(value("lead_conversion", &select, &s), Some(0.5));
    assert_eq!(sum(&r, Dim::Journey, "return").orders_created, 1);
    assert_eq!(sum(&r, Dim::Journey, "buy").leads_captured, 1);
    let all = sum(&r, Dim::All, "");
    assert_eq!(
        (
            all.wrapups,
            all.orders_created,
            all.leads_captured,
            all.leads_won
        ),
        (3, 1, 3, 1)
    );
    assert_eq!(Dim::parse("journey"), Some(Dim::Journey));
}
