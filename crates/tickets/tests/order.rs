//! The order's rules, case by case and under a seeded random run of commands on a set of
//! orders that merge into one another: an order is open or closed, never both; an order
//! that needs its callback closes only satisfied, unreachable or by a manager's override;
//! a closed order takes no command; a merge keeps every caller; a refused command changes
//! nothing.

use rand::{Rng, SeedableRng};
use tickets::{Closure, Command, Order, OrderError, Status};

fn cmd(rng: &mut impl Rng, ids: u64) -> Command {
    let s = |rng: &mut dyn rand::RngCore| {
        if rng.random_range(0..5) == 0 {
            String::new()
        } else {
            "x".to_string()
        }
    };
    match rng.random_range(0..12) {
        0 => Command::Dispatch { group: s(rng) },
        1 => Command::Redispatch {
            group: s(rng),
            reviewed_by: 7,
        },
        2 => Command::Accept {
            handler: rng.random_range(1..4),
        },
        3 => Command::Return { reason: s(rng) },
        4 => Command::Wait,
        5 => Command::Resume,
        6 => Command::Resolve,
        7 => Command::Callback {
            satisfied: rng.random_bool(0.5),
            score: rng.random_range(0..7),
        },
        8 => Command::CallbackMissed,
        9 if rng.random_range(0..6) == 0 => Command::Override {
            by: 9,
            reason: s(rng),
        },
        10 if rng.random_range(0..6) == 0 => Command::MergeInto {
            target: rng.random_range(0..ids),
        },
        _ => Command::Callback {
            satisfied: true,
            score: 5,
        },
    }
}

#[test]
fn a_complaint_goes_round_the_closed_loop() {
    let mut o = Order::new(1, Some("+8613800000001".into()), true);
    o.apply(Command::Dispatch {
        group: "repair-crew-west".into(),
    })
    .unwrap();
    o.apply(Command::Accept { handler: 42 }).unwrap();
    o.apply(Command::Resolve).unwrap();
    assert!(
        matches!(o.status, Status::Resolved { .. }),
        "a complaint waits for its callback"
    );
    // Unsatisfied: back to its handler.
    o.apply(Command::Callback {
        satisfied: false,
        score: 2,
    })
    .unwrap();
    assert_eq!(
        o.status,
        Status::Accepted {
            group: "repair-crew-west".into(),
            handler: 42
        }
    );
    assert_eq!(o.reopened, 1);
    o.apply(Command::Resolve).unwrap();
    o.apply(Command::Callback {
        satisfied: true,
        score: 5,
    })
    .unwrap();
    assert_eq!(o.status, Status::Closed(Closure::Satisfied { score: 5 }));
    assert_eq!(
        o.apply(Command::Resolve),
        Err(OrderError::NotNow { status: "closed" })
    );
}

#[test]
fn a_customer_never_reached_is_closed_unreachable_after_the_attempts() {
    let mut o = Order::new(1, None, true);
    for c in [
        Command::Dispatch { group: "g".into() },
        Command::Accept { handler: 1 },
        Command::Resolve,
    ] {
        o.apply(c).unwrap();
    }
    assert_eq!(o.apply(Command::CallbackMissed), Ok(None));
    assert_eq!(o.apply(Command::CallbackMissed), Ok(None));
    o.apply(Command::CallbackMissed).unwrap();
    assert_eq!(o.status, Status::Closed(Closure::Unreachable));
}

#[test]
fn returned_orders_go_back_for_dispatch_and_a_consultation_needs_no_callback() {
    let mut o = Order::new(1, None, false);
    o.apply(Command::Dispatch {
        group: "billing".into(),
    })
    .unwrap();
    assert!(
        o.apply(Command::Return { reason: " ".into() }).is_err(),
        "a return says why"
    );
    o.apply(Command::Return {
        reason: "不属于本部门".into(),
    })
    .unwrap();
    assert_eq!(o.status, Status::Open);
    o.apply(Command::Dispatch {
        group: "service".into(),
    })
    .unwrap();
    o.apply(Command::Accept { handler: 3 }).unwrap();
    o.apply(Command::Resolve).unwrap();
    assert_eq!(o.status, Status::Closed(Closure::Resolved));
}

#[test]
fn the_rules_hold_under_random_commands() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(22);
    // How the orders ended, so the run is known to reach every ending.
    let mut endings = std::collections::BTreeMap::<&str, u32>::new();
    for round in 0..300 {
        let n = rng.random_range(1..6u64);
        let mut orders: Vec<Order> = (0..n)
            .map(|i| Order::new(i, Some(format!("+86138000000{i:02}")), rng.random_bool(0.7)))
            .collect();
        for step in 0..200 {
            let i = rng.random_range(0..n) as usize;
            let c = cmd(&mut rng, n);
            let before = orders[i].clone();
            let was_closed = before.status.is_closed();
            let result = orders[i].apply(c.clone());
            match &result {
                Err(_) => assert_eq!(
                    orders[i], before,
                    "round {round} step {step}: a refused {c:?} changed the order"
                ),
                Ok(_) => assert!(
                    !was_closed,
                    "round {round} step {step}: a closed order took {c:?}"
                ),
            }
            // A merge carries the callers over to the target, which must be open.
            if let (Ok(Some(_)), Command::MergeInto { target }) = (&result, &c) {
                let callers = orders[i].callers.clone();
                let t = *target as usize;
                if orders[t]
                    .apply(Command::Absorb {
                        callers: callers.clone(),
                    })
                    .is_err()
                {
                    orders[i] = before; // the target had closed: no merge
                } else {
                    assert!(
                        callers.iter().all(|c| orders[t].callers.contains(c)),
                        "round {round}: a merge lost a caller"
                    );
                }
            }
            for o in &orders {
                assert_ne!(o.status.is_open(), o.status.is_closed());
                if o.callback_required
                    && let Status::Closed(how) = &o.status
                {
                    assert!(
                        matches!(
                            how,
                            Closure::Satisfied { .. }
                                | Closure::Unreachable
                                | Closure::Override { .. }
                        ),
                        "round {round}: a complaint closed without its callback: {how:?}"
                    );
                }
                if let Status::Closed(Closure::Satisfied { score }) = o.status {
                    assert!((1..=5).contains(&score));
                }
            }
        }
        for o in &orders {
            let ending = match &o.status {
                Status::Closed(Closure::Satisfied { .. }) => "satisfied",
                Status::Closed(Closure::Unreachable) => "unreachable",
                Status::Closed(Closure::Override { .. }) => "override",
                Status::Closed(Closure::Resolved) => "resolved",
                Status::Merged { .. } => "merged",
                _ => "open",
            };
            *endings.entry(ending).or_default() += 1;
        }
    }
    for ending in ["satisfied", "unreachable", "override", "resolved", "merged"] {
        assert!(
            endings.get(ending).copied().unwrap_or(0) > 0,
            "no order ended {ending}: {endings:?}"
        );
    }
}
