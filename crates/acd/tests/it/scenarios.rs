//! One scenario per routing feature, each read as a trace of what the engine did.

use std::time::Duration;

use acd::*;

/// Drives the engine at whole seconds and renders its outputs as short lines:
/// `offer c1 a2`, `cancel c1 a2`, `a2 talking`, `c1 answered a2 5s`, `c1 ended abandoned`.
struct H {
    acd: Acd,
    now: Time,
}

const Q1: QueueId = QueueId(1);
const Q2: QueueId = QueueId(2);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

impl H {
    fn new() -> H {
        H {
            acd: Acd::new(),
            now: Time::ZERO,
        }
    }

    fn at(&mut self, s: u64) -> &mut H {
        self.now = Time(s * 1000);
        self
    }

    fn queue(&mut self, id: QueueId, cfg: QueueConfig) {
        self.acd.handle_queue(self.now, id, cfg).unwrap();
        self.out();
    }

    /// An agent with skills, serving queues, logged in and ready.
    fn agent(&mut self, id: u32, skills: &[(u32, u8)], queues: &[QueueId]) {
        let cfg = AgentConfig {
            skills: skills.iter().map(|&(s, p)| (SkillId(s), p)).collect(),
            queues: queues.to_vec(),
            ..AgentConfig::default()
        };
        self.acd.handle_agent(self.now, AgentId(id), cfg).unwrap();
        self.acd.handle_login(self.now, AgentId(id)).unwrap();
        self.out();
    }

    fn arrive(&mut self, call: u64, queue: QueueId, priority: i32) -> Vec<String> {
        self.arrive_as(call, queue, priority, None)
    }

    fn arrive_as(
        &mut self,
        call: u64,
        queue: QueueId,
        priority: i32,
        customer: Option<u64>,
    ) -> Vec<String> {
        let arrival = Arrival {
            queue,
            priority,
            customer: customer.map(CustomerId),
            callback: false,
        };
        self.acd
            .handle_arrival(self.now, CallId(call), arrival)
            .unwrap();
        self.out()
    }

    fn answer(&mut self, call: u64, agent: u32) -> Vec<String> {
        self.acd
            .handle_answer(self.now, CallId(call), AgentId(agent))
            .unwrap();
        self.out()
    }

    fn hangup(&mut self, call: u64) -> Vec<String> {
        self.acd.handle_hangup(self.now, CallId(call)).unwrap();
        self.out()
    }

    fn tick(&mut self) -> Vec<String> {
        self.acd.handle_timeout(self.now);
        self.out()
    }

    fn ready(&mut self, agent: u32) -> Vec<String> {
        self.acd.handle_ready(self.now, AgentId(agent)).unwrap();
        self.out()
    }

    /// Answers and hangs up a call at once, to make an agent busy-then-idle.
    fn serve(&mut self, call: u64, queue: QueueId, agent: u32) {
        let out = self.arrive(call, queue, 0);
        assert!(out.contains(&format!("offer c{call} a{agent}")), "{out:?}");
        self.answer(call, agent);
        self.hangup(call);
    }

    fn out(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Some(a) = self.acd.poll_action() {
            lines.push(match a {
                Action::Offer {
                    call,
                    agent,
                    callback,
                    connected,
                } => format!(
                    "{} c{} a{}{}",
                    if callback { "callback" } else { "offer" },
                    call.0,
                    agent.0,
                    if connected { " connected" } else { "" }
                ),
                Action::CancelOffer { call, agent } => format!("cancel c{} a{}", call.0, agent.0),
                Action::Overflow { call, target } => format!("overflow c{} {target:?}", call.0),
            });
        }
        while let Some(e) = self.acd.poll_event() {
            let line = match e.kind {
                EventKind::AgentState { agent, state } => format!("a{} {state:?}", agent.0),
                EventKind::AgentPresence { agent, presence } => {
                    format!("a{} presence {presence:?}", agent.0)
                }
                EventKind::CallQueued { call, queue } => format!("c{} queued q{}", call.0, queue.0),
                EventKind::CallOffered { .. } => continue,
                EventKind::CallReturned {
                    call,
                    agent,
                    reason,
                } => format!("c{} returned a{} {reason:?}", call.0, agent.0),
                EventKind::CallAnswered {
                    call,
                    agent,
                    waited_ms,
                    ..
                } => format!("c{} answered a{} {}s", call.0, agent.0, waited_ms / 1000),
                EventKind::CallbackRequested { call } => format!("c{} callback requested", call.0),
                EventKind::CallOverflowed {
                    call, to, reason, ..
                } => format!("c{} overflowed {to:?} {reason:?}", call.0),
                EventKind::CallEnded { call, outcome, .. } => {
                    format!("c{} ended {outcome:?}", call.0)
                }
            };
            lines.push(line);
        }
        self.acd.check_invariants().unwrap();
        lines
    }
}

#[track_caller]
fn has(lines: &[String], want: &[&str]) {
    for w in want {
        assert!(lines.iter().any(|l| l == w), "no `{w}` in {lines:#?}");
    }
}

#[track_caller]
fn offered(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.starts_with("offer ") || l.starts_with("callback "))
        .cloned()
        .collect()
}

fn queue(strategy: Strategy) -> QueueConfig {
    QueueConfig {
        strategy,
        ..QueueConfig::default()
    }
}

#[test]
fn longest_idle_agent_gets_the_call() {
    let mut h = H::new();
    h.queue(Q1, queue(Strategy::LongestIdle));
    h.at(0).agent(1, &[], &[Q1]);
    h.at(10).agent(2, &[], &[Q1]);
    h.at(20).agent(3, &[], &[Q1]);
    h.at(30).serve(1, Q1, 1); // agent 1 is now the most recently idle
    let out = h.at(40).arrive(2, Q1, 0);
    assert_eq!(offered(&out), ["offer c2 a2"]);
    let out = h.arrive(3, Q1, 0);
    assert_eq!(offered(&out), ["offer c3 a3"]);
}

#[test]
fn fewest_calls_least_talk_and_best_proficiency() {
    let mut h = H::new();
    h.queue(Q1, queue(Strategy::FewestCalls));
    h.agent(1, &[], &[Q1]);
    h.at(1).agent(2, &[], &[Q1]);
    h.at(2).serve(1, Q1, 1); // a1: 1 call
    h.at(3).serve(2, Q1, 2); // a2: 1 call
    h.at(4).serve(3, Q1, 1); // a1: 2 calls
    assert_eq!(offered(&h.at(5).arrive(4, Q1, 0)), ["offer c4 a2"]);

    let mut h = H::new();
    h.queue(Q1, queue(Strategy::LeastTalkTime));
    h.agent(1, &[], &[Q1]);
    h.agent(2, &[], &[Q1]);
    h.at(10).arrive(1, Q1, 0);
    h.answer(1, 1);
    h.at(100).hangup(1); // a1 talked 90 s
    h.arrive(2, Q1, 0);
    h.answer(2, 2);
    h.at(110).hangup(2); // a2 talked 10 s, and is the most recently idle
    assert_eq!(offered(&h.at(120).arrive(3, Q1, 0)), ["offer c3 a2"]);

    let mut h = H::new();
    let skill = vec![SkillReq {
        skill: SkillId(7),
        min: 3,
    }];
    h.queue(
        Q1,
        QueueConfig {
            skills: skill,
            ..queue(Strategy::BestProficiency)
        },
    );
    h.agent(1, &[(7, 4)], &[Q1]);
    h.agent(2, &[(7, 9)], &[Q1]);
    h.agent(3, &[(7, 6)], &[Q1]);
    h.agent(4, &[(7, 2)], &[Q1]); // below the minimum: never offered
    assert_eq!(offered(&h.at(5).arrive(1, Q1, 0)), ["offer c1 a2"]);
    assert_eq!(offered(&h.arrive(2, Q1, 0)), ["offer c2 a3"]);
    assert_eq!(offered(&h.arrive(3, Q1, 0)), ["offer c3 a1"]);
    assert_eq!(offered(&h.arrive(4, Q1, 0)), Vec::<String>::new());
}

#[test]
fn round_robin_takes_turns() {
    let mut h = H::new();
    h.queue(Q1, queue(Strategy::RoundRobin));
    for a in [3, 1, 2] {
        h.agent(a, &[], &[Q1]);
    }
    let mut order = Vec::new();
    for c in 1..=6 {
        let out = h.at(c).arrive(c, Q1, 0);
        let offer = offered(&out).pop().unwrap();
        let agent: u32 = offer.rsplit(" a").next().unwrap().parse().unwrap();
        order.push(agent);
        h.answer(c, agent);
        h.hangup(c);
    }
    assert_eq!(order, [1, 2, 3, 1, 2, 3]);
}

#[test]
fn ring_all_rings_everybody_and_the_first_answer_wins() {
    let mut h = H::new();
    h.queue(Q1, queue(Strategy::RingAll));
    h.agent(1, &[], &[Q1]);
    h.agent(2, &[], &[Q1]);
    h.agent(3, &[], &[Q1]);
    let out = h.at(1).arrive(1, Q1, 0);
    assert_eq!(offered(&out), ["offer c1 a1", "offer c1 a2", "offer c1 a3"]);
    let out = h.at(3).answer(1, 2);
    has(
        &out,
        &[
            "cancel c1 a1",
            "cancel c1 a3",
            "c1 answered a2 2s",
            "a1 Ready",
        ],
    );
    // A ring-all timeout rings everybody again and makes nobody not-ready.
    let out = h.at(4).arrive(2, Q1, 0);
    assert_eq!(offered(&out), ["offer c2 a1", "offer c2 a3"]);
    let out = h.at(24).tick();
    has(
        &out,
        &["cancel c2 a1", "cancel c2 a3", "offer c2 a1", "offer c2 a3"],
    );
}

#[test]
fn key_customers_first_and_acceleration_lets_the_old_overtake() {
    let mut h = H::new();
    h.queue(
        Q1,
        QueueConfig {
            acceleration: Acceleration {
                per_second: 1,
                cap: 60,
            },
            ..queue(Strategy::LongestIdle)
        },
    );
    h.at(0).arrive(1, Q1, 0); // general customer
    h.at(10).arrive(2, Q1, 0);
    h.at(20).arrive(3, Q1, 30); // key customer (大客户), +30 points
    h.at(25).arrive(4, Q1, 0);
    let order = drain_order(&mut h, 30);
    assert_eq!(order, [3, 1, 2, 4], "at 30 s: c3 40 > c1 30 > c2 20 > c4 5");

    // Acceleration lets an old general call overtake a newer key customer: at 100 s,
    // c1 has 0 + 60 (capped) and c2 30 + 10 points; without acceleration c2 goes first.
    let accelerating = |cap| QueueConfig {
        acceleration: Acceleration { per_second: 1, cap },
        ..queue(Strategy::LongestIdle)
    };
    let mut h = H::new();
    h.queue(Q1, accelerating(60));
    h.at(0).arrive(1, Q1, 0);
    h.at(90).arrive(2, Q1, 30);
    assert_eq!(drain_order(&mut h, 100), [1, 2]);
    let mut h = H::new();
    h.queue(Q1, queue(Strategy::LongestIdle));
    h.at(0).arrive(1, Q1, 0);
    h.at(90).arrive(2, Q1, 30);
    assert_eq!(drain_order(&mut h, 100), [2, 1]);

    // The cap bounds what waiting earns: at 100 s both calls are capped at 60 points, so the
    // higher base wins although it came later; with a high cap, the older call wins.
    for (cap, order) in [(60, [2, 1]), (1000, [1, 2])] {
        let mut h = H::new();
        h.queue(Q1, accelerating(cap));
        h.at(0).arrive(1, Q1, 0);
        h.at(20).arrive(2, Q1, 10);
        assert_eq!(drain_order(&mut h, 100), order, "cap {cap}");
    }
}

/// One agent logs in at `t` and serves the queue call after call: the order calls get taken.
fn drain_order(h: &mut H, t: u64) -> Vec<u64> {
    h.at(t);
    let cfg = AgentConfig {
        queues: vec![Q1],
        ..AgentConfig::default()
    };
    h.acd.handle_agent(h.now, AgentId(1), cfg).unwrap();
    h.acd.handle_login(h.now, AgentId(1)).unwrap();
    let mut order = Vec::new();
    while let Some(action) = h.acd.poll_action() {
        if let Action::Offer { call, .. } = action {
            order.push(call.0);
            h.acd.handle_answer(h.now, call, AgentId(1)).unwrap();
            h.acd.handle_hangup(h.now, call).unwrap();
        }
    }
    order
}

#[test]
fn skills_relax_over_waiting_time() {
    let mut h = H::new();
    h.queue(
        Q1,
        QueueConfig {
            skills: vec![SkillReq {
                skill: SkillId(1),
                min: 8,
            }],
            relax: vec![
                Relax {
                    after: secs(30),
                    step: RelaxStep::MinProficiency(5),
                },
                Relax {
                    after: secs(60),
                    step: RelaxStep::Fallback(vec![SkillReq {
                        skill: SkillId(2),
                        min: 1,
                    }]),
                },
            ],
            ..queue(Strategy::LongestIdle)
        },
    );
    h.agent(5, &[(1, 5)], &[Q1]);
    h.agent(9, &[(2, 3)], &[Q1]); // the fallback group
    assert_eq!(offered(&h.at(0).arrive(1, Q1, 0)), Vec::<String>::new());
    assert_eq!(offered(&h.at(29).tick()), Vec::<String>::new());
    assert_eq!(offered(&h.at(30).tick()), ["offer c1 a5"]);
    h.answer(1, 5);
    h.at(31).arrive(2, Q1, 0);
    assert_eq!(offered(&h.at(61).tick()), Vec::<String>::new());
    assert_eq!(offered(&h.at(91).tick()), ["offer c2 a9"]);
}

#[test]
fn ring_no_answer_makes_the_agent_not_ready_and_the_call_keeps_its_place() {
    let mut h = H::new();
    h.queue(
        Q1,
        QueueConfig {
            ring_timeout: secs(15),
            ..queue(Strategy::LongestIdle)
        },
    );
    h.agent(1, &[], &[Q1]);
    h.at(1).arrive(1, Q1, 0);
    h.at(2).arrive(2, Q1, 0);
    let out = h.at(16).tick();
    has(
        &out,
        &[
            "cancel c1 a1",
            "c1 returned a1 RingNoAnswer",
            "a1 NotReady(Missed)",
        ],
    );
    // The next agent to come ready gets call 1 first: it kept its place ahead of call 2.
    h.at(20).agent(2, &[], &[Q1]);
    assert_eq!(h.acd.agent_state(AgentId(2)), Some(AgentState::Reserved));
    let out = h.at(21).answer(1, 2);
    has(&out, &["c1 answered a2 20s"]);
    // The agent who missed comes back and takes call 2.
    assert_eq!(offered(&h.ready(1)), ["offer c2 a1"]);
}

#[test]
fn callback_in_queue_keeps_its_place() {
    let mut h = H::new();
    h.queue(
        Q1,
        QueueConfig {
            max_wait: Some(secs(60)),
            overflow: Overflow::Voicemail,
            ..queue(Strategy::LongestIdle)
        },
    );
    h.agent(1, &[], &[Q1]);
    h.at(0).arrive(1, Q1, 0);
    h.answer(1, 1);
    h.at(1).arrive(2, Q1, 0);
    h.at(2).arrive(3, Q1, 0);
    h.acd.handle_callback_request(h.now, CallId(2)).unwrap();
    has(&h.out(), &["c2 callback requested"]);
    // Past max wait call 3 (still holding) overflows; the callback does not.
    has(&h.at(62).tick(), &["c3 overflowed Voicemail MaxWait"]);
    let out = h.at(300).hangup(1);
    assert_eq!(offered(&out), ["callback c2 a1"]);
    h.answer(2, 1);
    has(
        &h.at(400).hangup(2),
        &["c2 ended CallbackDone { agent: AgentId(1) }"],
    );
}

#[test]
fn overflow_on_max_wait_full_queue_nobody_logged_in_and_closed() {
    let mut h = H::new();
    h.queue(
        Q2,
        QueueConfig {
            overflow: Overflow::Voicemail,
            nobody_logged_in: NobodyLoggedIn::Overflow,
            ..queue(Strategy::LongestIdle)
        },
    );
    h.queue(
        Q1,
        QueueConfig {
            max_wait: Some(secs(30)),
            max_size: Some(1),
            overflow: Overflow::Queue(Q2),
            ..queue(Strategy::LongestIdle)
        },
    );
    h.agent(2, &[], &[Q2]);
    h.acd
        .handle_not_ready(h.now, AgentId(2), Reason::Meal)
        .unwrap();
    h.out();
    h.at(0).arrive(1, Q1, 0);
    // Queue full: call 2 goes straight to Q2.
    has(
        &h.at(1).arrive(2, Q1, 0),
        &["c2 overflowed Queue(QueueId(2)) QueueFull", "c2 queued q2"],
    );
    // Max wait: call 1 goes to Q2 after 30 s.
    has(
        &h.at(30).tick(),
        &["c1 overflowed Queue(QueueId(2)) MaxWait", "c1 queued q2"],
    );
    // The last agent of Q2 logs out: its callers go to voicemail.
    h.acd.handle_logout(h.now, AgentId(2)).unwrap();
    let out = h.out();
    has(
        &out,
        &[
            "overflow c2 Voicemail",
            "c2 ended Overflowed(Voicemail)",
            "overflow c1 Voicemail",
        ],
    );
    has(
        &h.at(31).arrive(3, Q2, 0),
        &["c3 overflowed Voicemail NobodyLoggedIn"],
    );
    // A closed queue overflows new calls.
    h.queue(
        Q1,
        QueueConfig {
            open: false,
            overflow: Overflow::Disconnect,
            ..queue(Strategy::LongestIdle)
        },
    );
    has(&h.arrive(4, Q1, 0), &["c4 overflowed Disconnect Closed"]);
}

#[test]
fn overflow_loops_end_after_a_few_hops() {
    let mut h = H::new();
    h.queue(Q2, queue(Strategy::LongestIdle));
    let looping = |to| QueueConfig {
        nobody_logged_in: NobodyLoggedIn::Overflow,
        overflow: Overflow::Queue(to),
        ..queue(Strategy::LongestIdle)
    };
    h.queue(Q1, looping(Q2));
    h.queue(Q2, looping(Q1));
    let out = h.arrive(1, Q1, 0);
    has(
        &out,
        &[
            "c1 overflowed Disconnect TooManyHops",
            "overflow c1 Disconnect",
        ],
    );
    assert_eq!(h.acd.live_calls(), 0);
}

#[test]
fn sticky_agent_is_preferred_within_the_hold_time() {
    let mut h = H::new();
    h.queue(
        Q1,
        QueueConfig {
            sticky: Some(secs(20)),
            ..queue(Strategy::LongestIdle)
        },
    );
    h.agent(1, &[], &[Q1]);
    h.at(1).agent(2, &[], &[Q1]);
    // Customer 77 is served by agent 1.
    h.at(2).arrive_as(1, Q1, 0, Some(77));
    h.answer(1, 1);
    h.hangup(1);
    // Agent 1 is busy with someone else when customer 77 calls again.
    h.at(3).arrive(2, Q1, 0); // longest idle: agent 2
    h.answer(2, 2);
    h.at(4).arrive(3, Q1, 0);
    h.answer(3, 1);
    let out = h.at(5).arrive_as(4, Q1, 0, Some(77));
    assert_eq!(offered(&out), Vec::<String>::new(), "held for agent 1");
    assert_eq!(h.acd.waiting(Q1), Some(1));
    // Agent 2 frees up first but the call is held for agent 1...
    assert_eq!(offered(&h.at(6).hangup(2)), Vec::<String>::new());
    // ...who frees up within the hold time and gets it.
    assert_eq!(offered(&h.at(10).hangup(3)), ["offer c4 a1"]);

    // When the sticky agent does not free up in time, anybody may take the call.
    h.answer(4, 1);
    h.at(11).arrive_as(5, Q1, 0, Some(77));
    assert_eq!(offered(&h.at(30).tick()), Vec::<String>::new());
    assert_eq!(offered(&h.at(31).tick()), ["offer c5 a2"]);
}

#[test]
fn after_call_work_ends_by_itself_or_when_the_agent_says() {
    let mut h = H::new();
    h.queue(
        Q1,
        QueueConfig {
            wrap_up: secs(30),
            ..queue(Strategy::LongestIdle)
        },
    );
    h.agent(1, &[], &[Q1]);
    h.at(0).arrive(1, Q1, 0);
    h.answer(1, 1);
    has(&h.at(10).hangup(1), &["a1 AfterCallWork"]);
    h.arrive(2, Q1, 0);
    assert_eq!(offered(&h.at(39).tick()), Vec::<String>::new());
    // With a caller waiting, after-call work ends straight into the next offer: the agent
    // is never shown ready in between.
    let out = h.at(40).tick();
    assert_eq!(out, ["offer c2 a1", "a1 Reserved"]);
    h.answer(2, 1);
    h.at(50).hangup(2);
    h.acd
        .handle_wrap_up_extend(h.now, AgentId(1), secs(60))
        .unwrap();
    h.at(100).tick();
    assert_eq!(
        h.acd.agent_state(AgentId(1)),
        Some(AgentState::AfterCallWork)
    );
    h.at(101);
    h.acd.handle_wrap_up_end(h.now, AgentId(1)).unwrap();
    has(&h.out(), &["a1 Ready"]);
    assert!(matches!(
        h.acd.handle_wrap_up_end(h.now, AgentId(1)),
        Err(AcdError::InvalidState(_))
    ));
}

#[test]
fn logout_while_ringing_returns_the_call_and_while_talking_lets_it_finish() {
    let mut h = H::new();
    h.queue(
        Q1,
        QueueConfig {
            wrap_up: secs(30),
            ..queue(Strategy::LongestIdle)
        },
    );
    h.agent(1, &[], &[Q1]);
    h.agent(2, &[], &[Q1]);
    h.at(1).arrive(1, Q1, 0);
    h.answer(1, 1);
    h.at(2).arrive(2, Q1, 0); // rings agent 2
    h.acd.handle_logout(h.now, AgentId(2)).unwrap();
    has(
        &h.out(),
        &[
            "cancel c2 a2",
            "c2 returned a2 AgentUnavailable",
            "a2 Offline",
        ],
    );
    assert_eq!(h.acd.waiting(Q1), Some(1));
    h.acd.handle_logout(h.now, AgentId(1)).unwrap();
    assert_eq!(h.acd.agent_state(AgentId(1)), Some(AgentState::Talking));
    let out = h.at(60).hangup(1);
    has(
        &out,
        &["c1 ended Answered { agent: AgentId(1) }", "a1 Offline"],
    );
}

#[test]
fn reconfiguring_a_busy_agent_and_a_queue_with_callers_loses_nothing() {
    let mut h = H::new();
    h.queue(Q1, queue(Strategy::LongestIdle));
    h.queue(Q2, queue(Strategy::LongestIdle));
    h.agent(1, &[], &[Q1]);
    h.arrive(1, Q1, 0);
    h.answer(1, 1);
    h.arrive(2, Q2, 0);
    h.arrive(3, Q2, 0);
    // Agent 1 moves to Q2 mid-call: the call goes on, and Q2's callers wait for the end.
    let cfg = AgentConfig {
        queues: vec![Q2],
        ..AgentConfig::default()
    };
    h.acd.handle_agent(h.now, AgentId(1), cfg).unwrap();
    assert_eq!(h.out(), Vec::<String>::new());
    // Q2 gets a priority rule while callers wait: both are still there, re-ranked.
    h.queue(
        Q2,
        QueueConfig {
            priority: 5,
            ..queue(Strategy::FewestCalls)
        },
    );
    assert_eq!(h.acd.waiting(Q2), Some(2));
    assert_eq!(offered(&h.at(5).hangup(1)), ["offer c2 a1"]);
}

#[test]
fn an_agent_takes_several_chats_up_to_capacity() {
    let mut h = H::new();
    h.queue(
        Q1,
        QueueConfig {
            channel: Channel::Chat,
            ..queue(Strategy::LongestIdle)
        },
    );
    let cfg = AgentConfig {
        queues: vec![Q1],
        capacity: [1, 2, 0],
        ..AgentConfig::default()
    };
    h.acd.handle_agent(h.now, AgentId(1), cfg).unwrap();
    h.acd.handle_login(h.now, AgentId(1)).unwrap();
    h.out();
    assert_eq!(offered(&h.arrive(1, Q1, 0)), ["offer c1 a1"]);
    // One offer at a time: the second chat waits until the first is accepted.
    assert_eq!(offered(&h.arrive(2, Q1, 0)), Vec::<String>::new());
    assert_eq!(offered(&h.answer(1, 1)), ["offer c2 a1"]);
    h.answer(2, 1);
    assert_eq!(
        offered(&h.arrive(3, Q1, 0)),
        Vec::<String>::new(),
        "at capacity"
    );
    assert_eq!(offered(&h.hangup(1)), ["offer c3 a1"]);
}

#[test]
fn bad_inputs_are_refused_and_change_nothing() {
    let mut h = H::new();
    h.queue(Q1, queue(Strategy::LongestIdle));
    h.agent(1, &[], &[Q1]);
    let arrival = Arrival {
        queue: QueueId(9),
        priority: 0,
        customer: None,
        callback: false,
    };
    assert_eq!(
        h.acd.handle_arrival(h.now, CallId(1), arrival),
        Err(AcdError::UnknownQueue(QueueId(9)))
    );
    h.arrive(1, Q1, 0);
    let dup = Arrival {
        queue: Q1,
        priority: 0,
        customer: None,
        callback: false,
    };
    assert_eq!(
        h.acd.handle_arrival(h.now, CallId(1), dup),
        Err(AcdError::DuplicateCall(CallId(1)))
    );
    assert_eq!(
        h.acd.handle_answer(h.now, CallId(1), AgentId(2)),
        Err(AcdError::UnknownAgent(AgentId(2)))
    );
    assert!(matches!(
        h.acd.handle_hold(h.now, CallId(1), true),
        Err(AcdError::InvalidState(_))
    ));
    let err = h
        .acd
        .handle_queue(
            h.now,
            Q1,
            QueueConfig {
                overflow: Overflow::Queue(Q1),
                ..QueueConfig::default()
            },
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            AcdError::InvalidConfig {
                field: "overflow",
                ..
            }
        ),
        "{err}"
    );
    let err = h
        .acd
        .handle_agent(
            h.now,
            AgentId(1),
            AgentConfig {
                skills: vec![(SkillId(1), 11)],
                ..AgentConfig::default()
            },
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            AcdError::InvalidConfig {
                field: "skills",
                ..
            }
        ),
        "{err}"
    );
    // Nothing changed: the call still rings agent 1, who can answer it.
    assert_eq!(h.out(), Vec::<String>::new());
    has(&h.answer(1, 1), &["c1 answered a1 0s"]);
}

// ----- regressions from the review of issue 2 -----------------------------------------------

#[test]
fn issue_2_ring_all_timeout_does_not_jump_ahead_of_a_better_waiting_call() {
    let mut h = H::new();
    h.queue(Q1, queue(Strategy::RingAll));
    h.agent(1, &[], &[Q1]);
    h.agent(2, &[], &[Q1]);
    assert_eq!(
        offered(&h.at(0).arrive(1, Q1, 0)),
        ["offer c1 a1", "offer c1 a2"]
    );
    assert_eq!(offered(&h.at(1).arrive(2, Q1, 50)), Vec::<String>::new());
    let out = h.at(20).tick();
    assert_eq!(offered(&out), ["offer c2 a1", "offer c2 a2"], "{out:#?}");
    assert_eq!(h.acd.waiting(Q1), Some(1));
}

#[test]
fn issue_2_a_call_back_from_ringing_overflows_when_its_queue_is_unstaffed() {
    let mut h = H::new();
    h.queue(
        Q1,
        QueueConfig {
            nobody_logged_in: NobodyLoggedIn::Overflow,
            overflow: Overflow::Voicemail,
            ..queue(Strategy::LongestIdle)
        },
    );
    h.agent(1, &[], &[Q1]);
    h.at(0).arrive(1, Q1, 0);
    // The only agent stops serving the queue while the call rings them.
    h.acd
        .handle_agent(h.now, AgentId(1), AgentConfig::default())
        .unwrap();
    h.out();
    has(
        &h.at(20).tick(),
        &["c1 overflowed Voicemail NobodyLoggedIn"],
    );
    assert_eq!(h.acd.live_calls(), 0);
}

#[test]
fn issue_2_agents_without_capacity_on_a_channel_do_not_staff_its_queues() {
    let mut h = H::new();
    h.queue(
        Q1,
        QueueConfig {
            channel: Channel::Chat,
            nobody_logged_in: NobodyLoggedIn::Overflow,
            overflow: Overflow::Callback,
            ..queue(Strategy::LongestIdle)
        },
    );
    h.agent(1, &[], &[Q1]); // voice only: [1, 0, 0]
    has(
        &h.arrive(1, Q1, 0),
        &["c1 overflowed Callback NobodyLoggedIn"],
    );
}

#[test]
fn issue_2_presence_changes_are_events_even_during_a_call() {
    let mut h = H::new();
    h.queue(Q1, queue(Strategy::LongestIdle));
    h.agent(1, &[], &[Q1]);
    h.at(0).arrive(1, Q1, 0);
    h.answer(1, 1);
    h.at(10);
    h.acd.handle_logout(h.now, AgentId(1)).unwrap();
    let out = h.out();
    assert_eq!(
        out,
        ["a1 presence Offline"],
        "logged out at 10 s, still talking"
    );
    h.at(20);
    h.acd.handle_login(h.now, AgentId(1)).unwrap();
    h.acd
        .handle_not_ready(h.now, AgentId(1), Reason::Training)
        .unwrap();
    assert_eq!(
        h.out(),
        ["a1 presence Ready", "a1 presence NotReady(Training)"]
    );
}

#[test]
fn issue_2_sticky_needs_an_agent_who_qualifies_without_relaxation() {
    let mut h = H::new();
    h.queue(
        Q1,
        QueueConfig {
            skills: vec![SkillReq {
                skill: SkillId(1),
                min: 8,
            }],
            relax: vec![Relax {
                after: secs(60),
                step: RelaxStep::Fallback(vec![SkillReq {
                    skill: SkillId(2),
                    min: 1,
                }]),
            }],
            sticky: Some(secs(30)),
            ..queue(Strategy::LongestIdle)
        },
    );
    h.agent(2, &[(2, 5)], &[Q1]); // qualifies only after 60 s
    h.at(0).arrive_as(1, Q1, 0, Some(77));
    h.at(60).tick(); // relaxed: agent 2 serves customer 77
    h.answer(1, 2);
    h.hangup(1);
    let out = h.at(100).arrive_as(2, Q1, 0, Some(77));
    assert_eq!(
        offered(&out),
        Vec::<String>::new(),
        "not before 60 s: {out:#?}"
    );
    assert_eq!(offered(&h.at(160).tick()), ["offer c2 a2"]);
}

#[test]
fn issue_2_calls_released_together_are_served_best_first() {
    let mut h = H::new();
    h.queue(
        Q1,
        QueueConfig {
            sticky: Some(secs(30)),
            ..queue(Strategy::LongestIdle)
        },
    );
    h.agent(1, &[], &[Q1]); // the sticky agent
    h.at(0).arrive_as(1, Q1, 0, Some(10));
    h.answer(1, 1);
    h.hangup(1);
    h.arrive_as(2, Q1, 0, Some(20));
    h.answer(2, 1);
    h.hangup(2);
    h.at(1).arrive(3, Q1, 0);
    h.answer(3, 1); // agent 1 busy
    h.agent(2, &[], &[Q1]); // agent 2 free, but the next calls are held for agent 1
    h.at(2).arrive_as(4, Q1, 0, Some(10));
    h.at(3).arrive_as(5, Q1, 50, Some(20));
    assert_eq!(h.acd.waiting(Q1), Some(2));
    h.at(4);
    h.acd.handle_logout(h.now, AgentId(1)).unwrap();
    assert_eq!(offered(&h.out()), ["offer c5 a2"], "the key customer first");
}

#[test]
fn issue_2_ring_all_is_judged_by_how_the_call_was_offered() {
    let mut h = H::new();
    h.queue(Q1, queue(Strategy::RingAll));
    h.agent(1, &[], &[Q1]);
    h.agent(2, &[], &[Q1]);
    h.at(0).arrive(1, Q1, 0);
    h.queue(Q1, queue(Strategy::LongestIdle));
    let out = h.at(20).tick();
    assert!(!out.iter().any(|l| l.contains("Missed")), "{out:#?}");
}

#[test]
fn issue_2_a_contact_keeps_its_channel() {
    let mut h = H::new();
    h.queue(
        Q2,
        QueueConfig {
            channel: Channel::Chat,
            ..queue(Strategy::LongestIdle)
        },
    );
    let err = h
        .acd
        .handle_queue(
            h.now,
            Q1,
            QueueConfig {
                overflow: Overflow::Queue(Q2),
                ..queue(Strategy::LongestIdle)
            },
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            AcdError::InvalidConfig {
                field: "overflow",
                ..
            }
        ),
        "{err}"
    );
    h.queue(Q1, queue(Strategy::LongestIdle));
    h.arrive(1, Q1, 0);
    let err = h
        .acd
        .handle_queue(
            h.now,
            Q1,
            QueueConfig {
                channel: Channel::Email,
                ..queue(Strategy::LongestIdle)
            },
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            AcdError::InvalidConfig {
                field: "channel",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn issue_2_an_id_in_after_call_work_cannot_be_reused() {
    let mut h = H::new();
    h.queue(
        Q1,
        QueueConfig {
            wrap_up: secs(30),
            ..queue(Strategy::LongestIdle)
        },
    );
    h.agent(1, &[], &[Q1]);
    h.arrive(7, Q1, 0);
    h.answer(7, 1);
    h.at(5).hangup(7);
    let again = Arrival {
        queue: Q1,
        priority: 0,
        customer: None,
        callback: false,
    };
    assert_eq!(
        h.acd.handle_arrival(h.now, CallId(7), again),
        Err(AcdError::DuplicateCall(CallId(7)))
    );
    h.at(35).tick(); // after-call work over: the id is free again
    assert!(h.acd.handle_arrival(h.now, CallId(7), again).is_ok());
}

#[test]
fn issue_2_times_beyond_the_latest_are_refused() {
    let mut acd = Acd::new();
    let late = Time(Time::LATEST.0 + 1);
    assert_eq!(
        acd.handle_queue(late, Q1, QueueConfig::default()),
        Err(AcdError::TimeOutOfRange(late))
    );
    assert_eq!(acd.now(), Time::ZERO);
}

#[test]
fn issue_4_an_agent_whose_phone_is_not_registered_is_not_offered_calls() {
    let mut h = H::new();
    h.queue(Q1, queue(Strategy::LongestIdle));
    h.agent(1, &[], &[Q1]);
    h.acd
        .handle_reachable(h.now, AgentId(1), Channel::Voice, false)
        .unwrap();
    h.out();
    assert!(offered(&h.at(1).arrive(1, Q1, 0)).is_empty());
    // The phone registers: the waiting call is offered at once.
    h.acd
        .handle_reachable(h.now, AgentId(1), Channel::Voice, true)
        .unwrap();
    assert_eq!(offered(&h.out()), ["offer c1 a1"]);
    // It unregisters while ringing: the offer is withdrawn and the call waits again.
    h.acd
        .handle_reachable(h.now, AgentId(1), Channel::Voice, false)
        .unwrap();
    let out = h.out();
    has(&out, &["cancel c1 a1"]);
    assert!(offered(&out).is_empty());
}

#[test]
fn issue_4_a_waiting_call_knows_its_place_in_line() {
    let mut h = H::new();
    h.queue(
        Q1,
        QueueConfig {
            acceleration: Acceleration {
                per_second: 1,
                cap: 60,
            },
            ..queue(Strategy::LongestIdle)
        },
    );
    h.at(0).arrive(1, Q1, 0);
    h.at(10).arrive(2, Q1, 0);
    h.at(20).arrive(3, Q1, 30); // a key customer goes first
    h.at(25).arrive(4, Q1, 0);
    h.at(30).tick();
    let ahead = |h: &H, c: u64| h.acd.place(CallId(c)).map(|p| (p.ahead, p.agents));
    let places: Vec<_> = (1..=4).map(|c| ahead(&h, c)).collect();
    assert_eq!(
        places,
        [Some((1, 0)), Some((2, 0)), Some((0, 0)), Some((3, 0))],
        "the order of service: c3, c1, c2, c4"
    );
    // An agent takes the first; the ringing call has no place, the others move up.
    h.agent(1, &[(1, 5)], &[Q1]);
    assert_eq!(ahead(&h, 3), None);
    assert_eq!(ahead(&h, 1), Some((0, 1)));
    assert_eq!(ahead(&h, 4), Some((2, 1)));
    assert_eq!(ahead(&h, 99), None, "an unknown call");
}

#[test]
fn issue_2_auto_answer_connects_an_offer_at_once_and_ring_all_still_rings() {
    let mut h = H::new();
    h.queue(Q1, queue(Strategy::LongestIdle));
    let cfg = AgentConfig {
        queues: vec![Q1],
        auto_answer: true,
        ..AgentConfig::default()
    };
    h.acd.handle_agent(h.now, AgentId(1), cfg.clone()).unwrap();
    h.acd.handle_login(h.now, AgentId(1)).unwrap();
    h.out();
    // Offered and answered in one step: straight from ready to talking, no ring timer.
    let out = h.at(5).arrive(1, Q1, 0);
    assert_eq!(
        out,
        [
            "offer c1 a1 connected",
            "c1 queued q1",
            "c1 answered a1 0s",
            "a1 Talking"
        ]
    );
    assert_eq!(h.acd.poll_timeout(), None);
    // Nothing to answer: the call is no longer ringing.
    assert!(h.acd.handle_answer(h.now, CallId(1), AgentId(1)).is_err());
    // A caller who waits is connected the moment the agent is free.
    let out = h.at(6).arrive(2, Q1, 0);
    assert_eq!(out, ["c2 queued q1"]);
    let out = h.at(60).hangup(1);
    has(
        &out,
        &[
            "c1 ended Answered { agent: AgentId(1) }",
            "offer c2 a1 connected",
            "c2 answered a1 54s",
        ],
    );
    assert_eq!(h.acd.agent_state(AgentId(1)), Some(AgentState::Talking));
    h.at(70).hangup(2);

    // Ring-all rings an auto-answer agent like everybody else.
    h.queue(Q2, queue(Strategy::RingAll));
    let both = AgentConfig {
        queues: vec![Q1, Q2],
        ..cfg
    };
    h.acd.handle_agent(h.now, AgentId(1), both).unwrap();
    h.agent(2, &[], &[Q2]);
    let out = h.at(80).arrive(3, Q2, 0);
    assert_eq!(offered(&out), ["offer c3 a1", "offer c3 a2"]);
    let out = h.answer(3, 2);
    has(&out, &["cancel c3 a1", "c3 answered a2 0s"]);
}

#[test]
fn issue_2_a_driver_records_only_the_events_it_reads() {
    let mut h = H::new();
    h.acd
        .record_only(&[EventType::CallAnswered, EventType::CallEnded]);
    h.queue(Q1, queue(Strategy::LongestIdle));
    h.agent(1, &[], &[Q1]);
    let out = h.at(1).arrive(1, Q1, 0);
    assert_eq!(out, ["offer c1 a1"]);
    assert_eq!(h.at(3).answer(1, 1), ["c1 answered a1 2s"]);
    assert_eq!(
        h.at(9).hangup(1),
        ["c1 ended Answered { agent: AgentId(1) }"]
    );
}

#[test]
fn issue_2_agent_time_sums_staffed_and_busy_time_for_occupancy() {
    let mut h = H::new();
    h.queue(Q1, queue(Strategy::LongestIdle)); // no after-call work
    h.agent(1, &[], &[Q1]); // logged in, ready at 0 s
    h.agent(2, &[], &[Q1]);
    h.at(10).arrive(1, Q1, 0);
    h.at(15).answer(1, 1); // agent 1 rang from 10 s, talks from 15 s
    h.at(20);
    h.acd
        .handle_not_ready(h.now, AgentId(2), Reason::Break)
        .unwrap(); // a break is neither staffed nor busy
    h.at(70).hangup(1);
    h.at(100);
    h.acd.handle_logout(h.now, AgentId(1)).unwrap();
    // Staffed: agent 1 for 100 s, agent 2 for 20 s; busy: agent 1 from 10 s to 70 s.
    let expect = AgentTime {
        staffed_ms: 120_000,
        busy_ms: 60_000,
    };
    assert_eq!(h.acd.agent_time(Time(100_000)), expect);
    // Nobody is staffed from then on: the totals stay.
    assert_eq!(h.acd.agent_time(Time(500_000)), expect);
    // Between inputs, the counts of the moment run on.
    h.acd.handle_login(h.now, AgentId(1)).unwrap();
    assert_eq!(
        h.acd.agent_time(Time(110_000)).staffed_ms,
        expect.staffed_ms + 10_000
    );
}
