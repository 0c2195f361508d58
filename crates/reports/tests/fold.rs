//! The rollups against a recomputation from the raw events, for random streams and for the
//! simulator's: folded in one go, folded in pieces resumed the way the runtime resumes
//! (agents' states saved, numbers' last contacts remembered from the records), and computed
//! row by row from the events that belong to each row.

use std::collections::BTreeMap;

use events::{
    AcdEvent, CallEnded, CallSurveyed, CallWrapup, Event, IvrNode, OrderChanged, Outcome,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use reports::{
    Components, Dim, Fold, HALF_HOUR_MS, REPEAT_DAYS, Rollup, RowKey, THRESHOLDS_S, bucket,
};

const T0: i64 = 1_796_090_400_000;
const DAY_MS: i64 = 86_400_000;

fn random_stream(seed: u64, n: usize) -> Vec<(Event, i64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let queues = ["repair", "billing", "expert"];
    let mut timed: Vec<(i64, u64, Event)> = Vec::new();
    let mut order = 0u64;
    let mut push = |at: i64, e: Event, timed: &mut Vec<(i64, u64, Event)>| {
        order += 1;
        timed.push((at, order, e));
    };
    for i in 0..n {
        let arrived = T0 + rng.random_range(0..10 * DAY_MS);
        let outcome = [
            Outcome::Answered,
            Outcome::Answered,
            Outcome::Abandoned,
            Outcome::Callback,
            Outcome::Voicemail,
            Outcome::Disconnected,
            Outcome::Overflowed,
            Outcome::Ivr,
            Outcome::Outbound,
            Outcome::CallbackDone,
            Outcome::Interrupted,
        ][rng.random_range(0..11)];
        // Whole seconds half the time: waits exactly at a threshold.
        let wait = if rng.random_bool(0.5) {
            rng.random_range(0..400) * 1000
        } else {
            rng.random_range(0..400_000)
        };
        let answered = match outcome {
            Outcome::Answered | Outcome::CallbackDone => Some(arrived + wait),
            Outcome::Outbound | Outcome::Interrupted if rng.random_bool(0.5) => {
                Some(arrived + wait)
            }
            _ => None,
        };
        let talk = answered.map_or(0, |_| rng.random_range(1_000..7_200_000));
        let ended = answered.unwrap_or(arrived + wait) + talk;
        let queue = if outcome == Outcome::Ivr {
            ""
        } else {
            queues[rng.random_range(0..3)]
        };
        let first = if rng.random_bool(0.2) {
            queues[rng.random_range(0..3)]
        } else {
            queue
        };
        let cdr = CallEnded {
            call_id: format!("c{i}"),
            caller: format!("+86138{:08}", rng.random_range(0..(n as u64 / 3 + 1))),
            customer_id: None,
            queue: queue.into(),
            first_queue: first.into(),
            agent_id: answered.map(|_| rng.random_range(1..6)),
            offered_to: None,
            arrived_at_ms: arrived,
            answered_at_ms: answered,
            ended_at_ms: ended,
            wait_ms: wait,
            talk_ms: talk,
            ring_ms: answered.map_or(0, |_| rng.random_range(0..20_000)),
            hold_ms: answered.map_or(0, |_| rng.random_range(0..60_000)),
            ivr_ms: rng.random_range(0..60_000),
            dialled: ["95598", "96345", ""][rng.random_range(0..3)].into(),
            recording: None,
            ended_by: None,
            end_reason: None,
            media: None,
            outcome,
            segment: if rng.random_bool(0.15) { 1 } else { 0 },
            transferred_to: rng.random_bool(0.1).then(|| "8001".to_string()),
            customer_segment: [None, Some("large_account"), Some("general")]
                [rng.random_range(0..3)]
            .map(String::from),
        };
        push(ended, Event::CallEnded(cdr), &mut timed);
        if rng.random_bool(0.2) {
            push(
                ended + 10_000,
                Event::CallSurveyed(CallSurveyed {
                    call_id: format!("c{i}"),
                    agent_id: rng.random_range(1..6),
                    score: rng.random_bool(0.9).then(|| rng.random_range(1..=5)),
                    segment: 1,
                }),
                &mut timed,
            );
        }
        if rng.random_bool(0.3) {
            push(
                ended + 5_000,
                Event::CallWrapup(CallWrapup {
                    call_id: format!("c{i}"),
                    user_id: 1,
                    agent: "a".into(),
                    disposition: ["repair", "inquiry"][rng.random_range(0..2)].into(),
                    notes: String::new(),
                    customer_id: None,
                    journey: None,
                }),
                &mut timed,
            );
        }
        // Up to three IVR nodes before the queue (or the hang-up).
        for step in 0..rng.random_range(0..4) {
            push(
                arrived - 30_000 + step * 5_000,
                Event::IvrNode(IvrNode {
                    call_id: format!("c{i}"),
                    node: ["main", "menu", "repair"][rng.random_range(0..3)].into(),
                }),
                &mut timed,
            );
        }
    }
    // Work orders: each taken in, some resolved (on time, late, or without a limit), some
    // closed after a callback or otherwise.
    for id in 0..(n / 5) as i64 {
        let at = T0 + rng.random_range(0..10 * DAY_MS);
        let group = [None, Some("crew-east"), Some("crew-west")][rng.random_range(0..3)];
        let change = |action: &str, from: &str, to: &str, on_time| {
            Event::OrderChanged(OrderChanged {
                order_id: id,
                version: 1,
                customer_id: None,
                actor_id: None,
                action: action.into(),
                from: from.into(),
                to: to.into(),
                group: group.map(String::from),
                handler_id: None,
                note: None,
                score: None,
                on_time,
                journey: None,
            })
        };
        push(at, change("create", "open", "dispatched", None), &mut timed);
        if rng.random_bool(0.7) {
            let on_time = [None, Some(true), Some(false)][rng.random_range(0..3)];
            push(
                at + 3_600_000,
                change("resolve", "accepted", "resolved", on_time),
                &mut timed,
            );
            let closing =
                ["callback", "callback_missed", "override", "note"][rng.random_range(0..4)];
            let to = if closing == "note" {
                "resolved"
            } else {
                "closed"
            };
            push(
                at + 7_200_000,
                change(closing, "resolved", to, None),
                &mut timed,
            );
        }
    }
    // Agents' states: each agent's changes in time order.
    for agent in 1..6u32 {
        let mut at = T0;
        for _ in 0..n / 4 {
            at += rng.random_range(1_000..3 * 3_600_000);
            let state = [
                acd::AgentState::Offline,
                acd::AgentState::Ready,
                acd::AgentState::Reserved,
                acd::AgentState::Talking,
                acd::AgentState::Hold,
                acd::AgentState::AfterCallWork,
                acd::AgentState::NotReady(acd::Reason::Break),
                acd::AgentState::NotReady(acd::Reason::Other(3)),
            ][rng.random_range(0..8)];
            let kind = if rng.random_bool(0.1) {
                acd::EventKind::CallAnswered {
                    call: acd::CallId(1),
                    agent: acd::AgentId(agent),
                    queue: acd::QueueId(0),
                    waited_ms: 0,
                }
            } else {
                acd::EventKind::AgentState {
                    agent: acd::AgentId(agent),
                    state,
                }
            };
            let q = queues[rng.random_range(0..3)].to_string();
            let mut e = AcdEvent::new(kind, |_| Some(q.clone()));
            e.user_id = Some(agent);
            push(at, Event::Acd(e), &mut timed);
        }
    }
    // The log's order: by time, ties as written.
    timed.sort_by_key(|(at, o, _)| (*at, *o));
    timed.into_iter().map(|(at, _, e)| (e, at)).collect()
}

fn fold_all(events: &[(Event, i64)]) -> Rollup {
    let mut f = Fold::new();
    let mut out = Rollup::default();
    for (e, at) in events {
        f.apply(e, *at, &mut out);
    }
    out
}

/// Folded in pieces: after each cut the fold is saved and resumed as the runtime does.
fn fold_in_pieces(events: &[(Event, i64)], cuts: &[usize]) -> Rollup {
    let mut total = Rollup::default();
    let mut fold = Fold::new();
    let mut from = 0;
    for &cut in cuts.iter().chain([events.len()].iter()) {
        let mut piece = Rollup::default();
        for (e, at) in &events[from..cut] {
            fold.apply(e, *at, &mut piece);
        }
        total.merge(&piece);
        // Saved and resumed: the agents' states and the records of the window before.
        let mut resumed = Fold::resume(&fold.state());
        let last_at = events[..cut].last().map_or(T0, |(_, at)| *at);
        let window = i64::from(REPEAT_DAYS[REPEAT_DAYS.len() - 1]) * DAY_MS;
        for (e, at) in &events[..cut] {
            if let Event::CallEnded(c) = e
                && *at >= last_at - window - DAY_MS
            {
                resumed.remember(c);
            }
        }
        fold = resumed;
        from = cut;
    }
    total
}

/// Each row computed from the events that belong to it, independently of the fold.
fn recompute(events: &[(Event, i64)]) -> Rollup {
    let mut rows = Rows::default();
    let cdrs: Vec<&CallEnded> = events
        .iter()
        .filter_map(|(e, _)| match e {
            Event::CallEnded(c) => Some(c),
            _ => None,
        })
        .collect();
    let inbound = |c: &CallEnded| !matches!(c.outcome, Outcome::Outbound | Outcome::CallbackDone);
    for (i, c) in cdrs.iter().enumerate() {
        let b = c.arrived_at_ms;
        if !inbound(c) {
            let mut keys = vec![(Dim::All, String::new())];
            keys.extend(c.agent_id.map(|a| (Dim::Agent, a.to_string())));
            for (dim, key) in keys {
                let r = rows.at(b, dim, &key);
                r.outbound += 1;
                if c.answered_at_ms.is_some() {
                    r.outbound_answered += 1;
                    r.outbound_talk_ms += c.talk_ms;
                }
            }
        } else if c.outcome == Outcome::Ivr {
            let segment = c.customer_segment.as_deref().unwrap_or("");
            for (dim, key) in [
                (Dim::All, ""),
                (Dim::Dialled, c.dialled.as_str()),
                (Dim::Segment, segment),
            ] {
                if dim != Dim::All && key.is_empty() {
                    continue;
                }
                let r = rows.at(b, dim, key);
                r.ivr_ended += 1;
                r.ivr_ms += c.ivr_ms as i64;
            }
        } else {
            let mut targets: Vec<(Dim, String, bool)> =
                vec![(Dim::All, String::new(), c.segment == 0)];
            if let Some(s) = &c.customer_segment {
                targets.push((Dim::Segment, s.clone(), c.segment == 0));
            }
            if !c.queue.is_empty() {
                targets.push((Dim::Queue, c.queue.clone(), true));
            }
            if let Some(a) = c.agent_id {
                targets.push((Dim::Agent, a.to_string(), true));
            }
            if c.segment == 0 && !c.dialled.is_empty() {
                targets.push((Dim::Dialled, c.dialled.clone(), true));
            }
            for (dim, key, contact) in targets {
                let r = rows.at(b, dim, &key);
                let wait = c.wait_ms;
                let answered = c.answered_at_ms.is_some();
                if contact {
                    r.offered += 1;
                    r.abandoned += i64::from(c.outcome == Outcome::Abandoned);
                    r.callback_requested += i64::from(c.outcome == Outcome::Callback);
                    r.voicemail += i64::from(c.outcome == Outcome::Voicemail);
                    r.disconnected += i64::from(c.outcome == Outcome::Disconnected);
                    r.flowed_out += i64::from(c.outcome == Outcome::Overflowed);
                    r.interrupted += i64::from(c.outcome == Outcome::Interrupted && !answered);
                    r.answered += i64::from(answered);
                    if answered {
                        r.wait_answered_ms += wait;
                    }
                    if c.outcome == Outcome::Abandoned {
                        r.wait_abandoned_ms += wait;
                    }
                    if answered || c.outcome == Outcome::Abandoned {
                        r.max_wait_ms = r.max_wait_ms.max(wait);
                    }
                    for (j, t) in THRESHOLDS_S.iter().enumerate() {
                        let within = wait <= i64::from(*t) * 1000;
                        r.answered_in[j] += i64::from(answered && within);
                        r.abandoned_in[j] += i64::from(c.outcome == Outcome::Abandoned && within);
                    }
                }
                if answered {
                    r.talk_ms += c.talk_ms;
                    r.hold_ms += c.hold_ms;
                    r.ring_ms += c.ring_ms;
                }
                r.ivr_ms += c.ivr_ms as i64;
                r.transferred_out += i64::from(c.transferred_to.is_some());
                r.transferred_in += i64::from(c.segment > 0);
                if dim == Dim::Queue && !c.first_queue.is_empty() && c.first_queue != c.queue {
                    r.overflow_in += 1;
                }
            }
            if !c.first_queue.is_empty() && c.first_queue != c.queue {
                let r = rows.at(b, Dim::Queue, &c.first_queue);
                r.offered += 1;
                r.flowed_out += 1;
            }
        }
        // Repeats: the number's latest earlier-logged contact (by arrival).
        if inbound(c) && c.segment == 0 {
            let last = cdrs[..i]
                .iter()
                .filter(|p| inbound(p) && p.segment == 0 && p.caller == c.caller)
                .max_by_key(|p| p.arrived_at_ms);
            if let Some(p) = last {
                let gap = c.arrived_at_ms - p.arrived_at_ms;
                for (j, d) in REPEAT_DAYS.iter().enumerate() {
                    if gap <= 0 || gap > i64::from(*d) * DAY_MS {
                        continue;
                    }
                    for (dim, key) in dims_of(c) {
                        rows.at(c.arrived_at_ms, dim, &key).repeat_in[j] += 1;
                    }
                    if p.answered_at_ms.is_some() {
                        for (dim, key) in dims_of(p) {
                            rows.at(p.arrived_at_ms, dim, &key).recalled_in[j] += 1;
                        }
                    }
                }
            }
        }
    }
    // The IVR: each call's steps from node to node, and the node it left the IVR from.
    let mut in_ivr: BTreeMap<String, String> = BTreeMap::new();
    for (e, at) in events {
        match e {
            Event::IvrNode(n) => {
                if let Some(from) = in_ivr.insert(n.call_id.clone(), n.node.clone()) {
                    rows.at(*at, Dim::IvrEdge, &format!("{from}>{}", n.node))
                        .ivr_visits += 1;
                }
            }
            Event::CallEnded(c) if c.segment == 0 => {
                if let Some(node) = in_ivr.remove(&c.call_id) {
                    let r = rows.at(c.arrived_at_ms, Dim::IvrNode, &node);
                    if c.outcome == Outcome::Ivr {
                        r.ivr_ended += 1;
                    } else {
                        r.ivr_passed += 1;
                    }
                }
            }
            _ => {}
        }
    }
    for (e, at) in events {
        match e {
            Event::CallSurveyed(s) => {
                if let Some(score) = s.score {
                    for (dim, key) in [
                        (Dim::All, String::new()),
                        (Dim::Agent, s.agent_id.to_string()),
                    ] {
                        let r = rows.at(*at, dim, &key);
                        r.surveys += 1;
                        r.survey_score_sum += i64::from(score);
                        r.survey_satisfied += i64::from(score >= 4);
                    }
                }
            }
            Event::CallWrapup(w) => {
                rows.at(*at, Dim::Disposition, &w.disposition).wrapups += 1;
                rows.at(*at, Dim::All, "").wrapups += 1;
            }
            Event::IvrNode(n) => rows.at(*at, Dim::IvrNode, &n.node).ivr_visits += 1,
            Event::OrderChanged(o) => {
                let mut keys = vec![(Dim::All, String::new())];
                keys.extend(o.group.clone().map(|g| (Dim::OrderGroup, g)));
                for (dim, key) in keys {
                    let r = rows.at(*at, dim, &key);
                    r.orders_created += i64::from(o.action == "create");
                    if o.action == "resolve" {
                        r.orders_resolved += 1;
                        r.orders_timed += i64::from(o.on_time.is_some());
                        r.orders_on_time += i64::from(o.on_time == Some(true));
                    }
                    if o.to == "closed"
                        && ["callback", "callback_missed", "override"].contains(&o.action.as_str())
                    {
                        r.orders_closed += 1;
                        r.orders_closed_loop += i64::from(o.action == "callback");
                    }
                }
            }
            _ => {}
        }
    }
    // Agents' time: each span between an agent's consecutive states, intersected with each
    // half hour.
    let mut by_agent: BTreeMap<u32, Vec<(i64, acd::AgentState, Option<String>)>> = BTreeMap::new();
    let mut last_queue: BTreeMap<u32, Option<String>> = BTreeMap::new();
    for (e, at) in events {
        if let Event::Acd(a) = e
            && let Some(user) = a.user_id
        {
            match a.event {
                acd::EventKind::AgentState { state, .. } => {
                    let q = last_queue.get(&user).cloned().flatten();
                    by_agent.entry(user).or_default().push((*at, state, q));
                }
                acd::EventKind::CallAnswered { .. } => {
                    last_queue.insert(user, a.queue_key.clone());
                    // An answer before any state opens a talking span.
                    by_agent
                        .entry(user)
                        .or_insert_with(|| vec![(*at, acd::AgentState::Talking, None)]);
                    if let Some(v) = by_agent.get_mut(&user)
                        && let Some(last) = v.last_mut()
                    {
                        last.2 = a.queue_key.clone();
                    }
                }
                _ => {}
            }
        }
    }
    for (user, spans) in &by_agent {
        for w in spans.windows(2) {
            let ((from, state, queue), (to, _, _)) = (&w[0], &w[1]);
            if *state == acd::AgentState::Offline {
                continue;
            }
            let mut b = bucket(*from);
            while b < *to {
                let ms = (b + HALF_HOUR_MS).min(*to) - (*from).max(b);
                let reason = match state {
                    acd::AgentState::NotReady(r) => Some(reports::reason_name(*r)),
                    _ => None,
                };
                let mut keys = vec![(Dim::All, String::new()), (Dim::Agent, user.to_string())];
                if let Some(r) = &reason {
                    keys.push((Dim::Reason, r.clone()));
                    keys.push((Dim::AgentReason, format!("{user}:{r}")));
                }
                for (dim, key) in keys {
                    let r = rows.at(b, dim, &key);
                    r.staffed_ms += ms;
                    match state {
                        acd::AgentState::Ready => r.ready_ms += ms,
                        acd::AgentState::Reserved => r.reserved_ms += ms,
                        acd::AgentState::Talking => r.talking_ms += ms,
                        acd::AgentState::Hold => r.holding_ms += ms,
                        acd::AgentState::AfterCallWork => r.acw_ms += ms,
                        _ => r.not_ready_ms += ms,
                    }
                }
                if *state == acd::AgentState::AfterCallWork
                    && let Some(q) = queue
                {
                    rows.at(b, Dim::Queue, q).acw_ms += ms;
                }
                b += HALF_HOUR_MS;
            }
        }
    }
    Rollup(rows.0)
}

fn dims_of(c: &CallEnded) -> Vec<(Dim, String)> {
    let mut d = vec![(Dim::All, String::new())];
    if !c.queue.is_empty() {
        d.push((Dim::Queue, c.queue.clone()));
    }
    if let Some(a) = c.agent_id {
        d.push((Dim::Agent, a.to_string()));
    }
    if !c.dialled.is_empty() {
        d.push((Dim::Dialled, c.dialled.clone()));
    }
    d.extend(c.customer_segment.clone().map(|s| (Dim::Segment, s)));
    d
}

#[derive(Default)]
struct Rows(BTreeMap<RowKey, Components>);

impl Rows {
    fn at(&mut self, b: i64, dim: Dim, key: &str) -> &mut Components {
        self.0
            .entry(RowKey {
                bucket_ms: bucket(b),
                dim,
                key: key.to_string(),
            })
            .or_default()
    }
}

/// Equal rollups, or the first row where they differ.
fn same(a: &Rollup, b: &Rollup, what: &str) {
    if a == b {
        return;
    }
    let keys: std::collections::BTreeSet<&RowKey> = a.0.keys().chain(b.0.keys()).collect();
    for k in keys {
        let (x, y) = (a.0.get(k), b.0.get(k));
        if x != y {
            panic!("{what}: rows differ at {k:?}:\n{x:?}\n{y:?}");
        }
    }
}

#[test]
fn issue_23_the_rollups_equal_a_recomputation_for_random_streams() {
    for seed in 0..40 {
        let events = random_stream(seed, 300);
        let whole = fold_all(&events);
        assert_eq!(
            whole,
            recompute(&events),
            "seed {seed}: fold ≠ recomputation"
        );
        let mut rng = ChaCha8Rng::seed_from_u64(seed + 1000);
        let mut cuts: Vec<usize> = (0..rng.random_range(1..6))
            .map(|_| rng.random_range(0..events.len()))
            .collect();
        cuts.sort_unstable();
        same(
            &fold_in_pieces(&events, &cuts),
            &whole,
            &format!("seed {seed}: folded in pieces at {cuts:?}"),
        );
    }
}

#[test]
fn issue_23_the_rollups_equal_a_recomputation_for_the_simulators_stream() {
    let model = sim::Model::single_queue(120.0, 300.0, 11, 20.0, Some(90.0), 8.0, 7);
    let mut logger = sim::log::Logger::new(vec!["repair".into()], T0, 200);
    let mut events = Vec::new();
    sim::run_with(&model, &mut |e| logger.take(e, &mut events)).unwrap();
    assert!(events.len() > 1000, "{}", events.len());
    let whole = fold_all(&events);
    same(&whole, &recompute(&events), "the simulator's stream");
    let cuts = [events.len() / 3, events.len() / 2];
    same(
        &fold_in_pieces(&events, &cuts),
        &whole,
        "the simulator's stream in pieces",
    );
    let all: Components = whole.0.iter().filter(|(k, _)| k.dim == Dim::All).fold(
        Components::default(),
        |mut a, (_, c)| {
            a.merge(c);
            a
        },
    );
    assert!(
        all.offered > 500 && all.answered > 0 && all.talking_ms > 0,
        "{all:?}"
    );
    assert!(all.repeat_in[REPEAT_DAYS.len() - 1] > 0);
}
